/**
 * When the next scheduled screenshot is due: the policy interval ± jitter
 * (a fraction, 0.2 = ±20%), so an operator cannot predict the moment.
 */
export function nextCaptureDelay(intervalMs: number, jitter: number, random: () => number): number {
  const spread = Math.min(Math.max(jitter, 0), 0.5);
  const r = Number.isFinite(random()) ? random() : 0.5;
  const factor = 1 - spread + 2 * spread * Math.min(1, Math.max(0, r));
  return Math.max(1000, Math.round(intervalMs * factor));
}
