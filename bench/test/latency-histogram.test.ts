import { describe, expect, it } from 'vitest';
import { bucketOf, bucketUpperMs, LatencyHistogram, mergeSnapshots } from '../load/latency-histogram.js';

describe('LatencyHistogram', () => {
  it('reads percentiles within the 2 % bucket width, never below the true value', () => {
    const histogram = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) histogram.record(ms);
    for (const [p, exact] of [
      [50, 500],
      [95, 950],
      [99, 990],
    ] as const) {
      const read = histogram.percentile(p)!;
      expect(read).toBeGreaterThanOrEqual(exact);
      expect(read).toBeLessThanOrEqual(exact * 1.02);
    }
    expect(histogram.percentile(100)).toBe(1000);
    expect(histogram.summary()).toMatchObject({ count: 1000, meanMs: 500.5, maxMs: 1000 });
  });

  it('merges snapshots from several processes into the same answer as one histogram', () => {
    const one = new LatencyHistogram();
    const parts = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
    for (let i = 0; i < 3000; i++) {
      const ms = (i * 7919) % 400;
      one.record(ms);
      parts[i % 3]!.record(ms);
    }
    const merged = mergeSnapshots(parts.map((part) => JSON.parse(JSON.stringify(part.snapshot()))));
    expect(merged.summary()).toEqual(one.summary());
    expect(merged.fractionAtOrBelow(250)).toBeCloseTo(one.fractionAtOrBelow(250), 10);
  });

  it('puts a value in the bucket whose upper edge is the first at or above it', () => {
    for (const ms of [0.02, 0.5, 3, 249, 250, 251, 10_000]) {
      const bucket = bucketOf(ms);
      expect(bucketUpperMs(bucket)).toBeGreaterThanOrEqual(ms * 0.999999);
      expect(bucketUpperMs(bucket - 1)).toBeLessThan(ms);
    }
  });

  it('is empty until something is recorded', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.percentile(99)).toBeNull();
    expect(histogram.summary().p99Ms).toBeNull();
  });

  it('after a reset, summarises only what was recorded since (the connect storm after a restart)', () => {
    const histogram = new LatencyHistogram();
    for (const ms of [9_000, 12_000, 30_000]) histogram.record(ms);
    histogram.reset();
    expect(histogram.count).toBe(0);
    expect(histogram.percentile(99)).toBeNull();
    const fresh = new LatencyHistogram();
    for (const ms of [40, 80, 1_500]) {
      histogram.record(ms);
      fresh.record(ms);
    }
    expect(histogram.summary()).toEqual(fresh.summary());
    expect(histogram.summary().maxMs).toBe(1_500);
  });
});
