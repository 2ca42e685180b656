import { describe, expect, it } from 'vitest';
import { type OutboxEntry, planDrops } from '../../src/core/outbox-drop-policy.js';

const batch = (seq: number, bytes = 100, eventCount = 2): OutboxEntry => ({
  seq,
  kind: 'batch',
  bytes,
  eventCount,
});
const blob = (seq: number, bytes = 1000): OutboxEntry => ({ seq, kind: 'blob', bytes, eventCount: 1 });

describe('planDrops', () => {
  it('drops nothing while there is room', () => {
    expect(planDrops([batch(1), blob(2)], 10_000, 500, 50)).toEqual({
      screenshots: [],
      events: null,
      fits: true,
    });
  });

  it('drops screenshots oldest first, before any event', () => {
    const entries = [batch(1), blob(2), batch(3), blob(4), blob(5)];
    // 3200 bytes held + 900 incoming, limit 3000: two screenshots must go (each leaves a 50-byte marker).
    expect(planDrops(entries, 3000, 900, 50)).toEqual({ screenshots: [2, 4], events: null, fits: true });
  });

  it('drops the oldest run of events only when no screenshot is left, with room for its marker', () => {
    const entries = [batch(1), blob(2), batch(3), batch(4), batch(5)];
    const plan = planDrops(entries, 400, 100, 50);
    expect(plan.screenshots).toEqual([2]);
    expect(plan.events).toEqual({ fromSeq: 1, toSeq: 3, count: 5, bytes: 250 });
    expect(plan.fits).toBe(true);
  });

  it('says when an item cannot fit at all', () => {
    expect(planDrops([batch(1)], 1000, 5000, 50).fits).toBe(false);
  });
});
