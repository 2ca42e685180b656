import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/core/backoff.js';

describe('backoffDelay', () => {
  const options = (r: number) => ({ initialMs: 500, maxMs: 60_000, random: () => r });

  it('grows exponentially up to the cap', () => {
    expect([0, 1, 2, 3].map((a) => backoffDelay(a, options(1)))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(20, options(1))).toBe(60_000);
    expect(backoffDelay(1000, options(1))).toBe(60_000);
  });

  it('spreads delays with jitter between half the initial delay and the ceiling', () => {
    expect(backoffDelay(5, options(0))).toBe(250);
    expect(backoffDelay(5, options(0.5))).toBe(Math.round(250 + (16_000 - 250) / 2));
    const seen = new Set([0.1, 0.3, 0.7, 0.9].map((r) => backoffDelay(6, options(r))));
    expect(seen.size).toBe(4);
  });

  it('survives a broken random source', () => {
    expect(backoffDelay(2, options(Number.NaN))).toBe(Math.round(250 + (2000 - 250) / 2));
  });
});
