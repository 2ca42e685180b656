/** When a collector process counts as dead (issue #15): pure. */
import { describe, expect, it } from 'vitest';
import { checkStaleBound, isCollectorStale, staleCollectors } from '../../src/domain/collector-liveness.js';

describe('collector liveness', () => {
  it('is stale only once the last beat is older than the bound', () => {
    expect(isCollectorStale(1_000, 1_000 + 30_000, 30_000)).toBe(false);
    expect(isCollectorStale(1_000, 1_000 + 30_001, 30_000)).toBe(true);
    // A beat stamped after the reader's now (read earlier in the same statement) is fresh.
    expect(isCollectorStale(5_000, 4_000, 30_000)).toBe(false);
  });

  it('finds the dead processes among the registered ones, never itself', () => {
    const now = 100_000;
    const beats = [
      { id: 'self', heartbeatAt: 0 },
      { id: 'alive', heartbeatAt: now - 5_000 },
      { id: 'dead', heartbeatAt: now - 60_000 },
      { id: 'just-in-bound', heartbeatAt: now - 30_000 },
    ];
    expect(staleCollectors(beats, now, 'self', 30_000).map((beat) => beat.id)).toEqual(['dead']);
    expect(staleCollectors(beats, now, 'alive', 30_000).map((beat) => beat.id)).toEqual(['self', 'dead']);
  });

  it('refuses a bound that takes a process for dead after fewer than two missed beats', () => {
    expect(() => checkStaleBound(10_000, 29_999)).toThrow(RangeError);
    expect(() => checkStaleBound(10_000, 30_000)).not.toThrow();
    expect(() => checkStaleBound(0, 30_000)).toThrow(RangeError);
  });
});
