/**
 * The summary figures the timing benches report (timeline, visual timeline,
 * board, sixty days): a percentile of the measured times (the value at rank
 * floor(p% of n) of the sorted times, so p50 of two runs is the slower one),
 * rounded to a tenth of a millisecond.
 */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export const round = (value: number) => Math.round(value * 10) / 10;

/** p50, p95 and the slowest of a series of timed calls, and how many there were. */
export function timingStats(times: readonly number[]) {
  return {
    p50: round(percentile(times, 50)),
    p95: round(percentile(times, 95)),
    max: round(Math.max(...times)),
    runs: times.length,
  };
}
