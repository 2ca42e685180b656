/**
 * A mergeable latency histogram: log-spaced buckets 2 % wide from 10 µs to
 * 10 minutes, so a percentile is off by at most 2 % whatever the range.
 * Generator processes send snapshots to the orchestrator, which merges them.
 */
const MIN_MS = 0.01;
const MAX_MS = 600_000;
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
export const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / LOG_GROWTH) + 1;

/** Sparse, JSON-friendly form: [bucket index, count] pairs. */
export interface HistogramSnapshot {
  count: number;
  sumMs: number;
  minMs: number;
  maxMs: number;
  buckets: Array<[number, number]>;
}

export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

/** The upper edge of a bucket: a percentile read from it is never below the true value. */
export function bucketUpperMs(index: number): number {
  return MIN_MS * GROWTH ** index;
}

export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    this.#counts[bucketOf(ms)]! += 1;
    this.#count += 1;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** Forgets everything recorded (a new phase measured on its own, e.g. the reconnections after a restart). */
  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = 0;
  }

  merge(snapshot: HistogramSnapshot): void {
    if (snapshot.count === 0) return;
    for (const [index, count] of snapshot.buckets) this.#counts[index]! += count;
    this.#count += snapshot.count;
    this.#sum += snapshot.sumMs;
    this.#min = Math.min(this.#min, snapshot.minMs);
    this.#max = Math.max(this.#max, snapshot.maxMs);
  }

  /** p in [0, 100]; the exact maximum for p = 100; null when empty. */
  percentile(p: number): number | null {
    if (this.#count === 0) return null;
    if (p >= 100) return this.#max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(bucketUpperMs(i), this.#max);
    }
    return this.#max;
  }

  /** Fraction of recorded values at or below `ms` (bucket resolution). */
  fractionAtOrBelow(ms: number): number {
    if (this.#count === 0) return 1;
    const last = bucketOf(ms);
    let seen = 0;
    for (let i = 0; i <= last; i++) seen += this.#counts[i]!;
    return seen / this.#count;
  }

  snapshot(): HistogramSnapshot {
    const buckets: Array<[number, number]> = [];
    this.#counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return {
      count: this.#count,
      sumMs: this.#sum,
      minMs: this.#count === 0 ? 0 : this.#min,
      maxMs: this.#max,
      buckets,
    };
  }

  summary(): LatencySummary {
    const round = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
    return {
      count: this.#count,
      meanMs: this.#count === 0 ? null : round(this.#sum / this.#count),
      p50Ms: round(this.percentile(50)),
      p95Ms: round(this.percentile(95)),
      p99Ms: round(this.percentile(99)),
      p999Ms: round(this.percentile(99.9)),
      maxMs: this.#count === 0 ? null : round(this.#max),
    };
  }
}

export interface LatencySummary {
  count: number;
  meanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  p999Ms: number | null;
  maxMs: number | null;
}

export function mergeSnapshots(snapshots: readonly HistogramSnapshot[]): LatencyHistogram {
  const merged = new LatencyHistogram();
  for (const snapshot of snapshots) merged.merge(snapshot);
  return merged;
}
