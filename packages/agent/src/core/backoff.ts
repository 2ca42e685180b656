/**
 * Reconnect delays: exponential with "full jitter" (delay uniform in
 * [base/2, min(cap, base·2^attempt)]), so a room of seats that lost the
 * server together do not come back in lock step. Randomness is passed in.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly random: () => number;
}

export const DEFAULT_BACKOFF: Omit<BackoffOptions, 'random'> = Object.freeze({
  initialMs: 500,
  maxMs: 60_000,
});

export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  const floor = Math.min(ceiling, options.initialMs / 2);
  return Math.round(floor + (ceiling - floor) * clamp01(options.random()));
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0.5;
}
