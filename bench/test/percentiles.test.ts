import { describe, expect, it } from 'vitest';
import { percentile, round, timingStats } from '../timings/percentiles.js';

describe('the timing benches’ percentiles', () => {
  it('take the value at rank floor(p% of n) of the sorted times, whatever their order', () => {
    const times = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([percentile(times, 50), percentile(times, 95), percentile(times, 100)]).toEqual([51, 96, 100]);
    expect(percentile([3, 1], 50)).toBe(3);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarise a series in tenths of a millisecond', () => {
    expect(round(12.345)).toBe(12.3);
    expect(timingStats([10.04, 20.06, 30.01, 40.09])).toEqual({ p50: 30, p95: 40.1, max: 40.1, runs: 4 });
  });
});
