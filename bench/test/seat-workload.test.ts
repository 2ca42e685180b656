import { eventValidators, validatePayload } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import { jittered, SeatWorkload, seatIdentity, seededRandom } from '../load/seat-workload.js';

describe('SeatWorkload', () => {
  it('makes batches that the protocol schema accepts, with times inside the covered period', () => {
    const start = 1_760_000_000_000;
    const workload = new SeatWorkload(3, seatIdentity(41), start);
    const kinds = new Set<string>();
    for (let batch = 1; batch <= 1440; batch++) {
      const now = start + batch * 5000;
      const events = workload.nextBatch(now, 10);
      expect(events).toHaveLength(10);
      for (const event of events) {
        kinds.add(event.type);
        expect(eventValidators[event.type](event), JSON.stringify(event)).toBe(true);
        expect(event.time).toBeGreaterThan(now - 5000);
        expect(event.time).toBeLessThanOrEqual(now);
      }
      const payload = { t: 'batch', v: 1, session: 's-1', seq: batch, time: now, events };
      expect(() => validatePayload(payload, 'agent', 'text')).not.toThrow();
    }
    // Mostly activity and presence, with the rarer kinds showing up over two hours.
    expect([...kinds].sort()).toEqual([
      'activity',
      'device_attached',
      'device_detached',
      'network',
      'status',
    ]);
  });

  it('reports a growing span again under the same start (the server upserts it)', () => {
    const workload = new SeatWorkload(5, seatIdentity(0), 0);
    const events = workload.nextBatch(5000, 10);
    const last = events[9]!;
    expect(last.type).toBe('activity');
    const earlier = events.slice(0, 9).filter((e) => e.type === 'activity' && e.time === last.time);
    expect(earlier).toHaveLength(1);
  });

  it('reports presence only when it changes, every few minutes, as the real agent does', () => {
    const workload = new SeatWorkload(7, seatIdentity(3), 0);
    const states: string[] = [];
    for (let batch = 1; batch <= 1440; batch++) {
      for (const event of workload.nextBatch(batch * 5000, 10)) {
        if (event.type === 'status') states.push(event.state);
      }
    }
    // Two hours: an idle stretch every 13 to 26 minutes, each followed by a return.
    expect(states.length).toBeGreaterThanOrEqual(8);
    expect(states.length).toBeLessThanOrEqual(24);
    states.forEach((state, i) => {
      expect(state).toBe(i % 2 === 0 ? 'idle' : 'active');
    });
  });

  it('repeats the same traffic for the same seed', () => {
    const a = new SeatWorkload(9, seatIdentity(2), 1000).nextBatch(6000, 10);
    const b = new SeatWorkload(9, seatIdentity(2), 1000).nextBatch(6000, 10);
    expect(a).toEqual(b);
  });
});

describe('jittered', () => {
  it('stays within the jitter band around the interval', () => {
    const random = seededRandom(1);
    const values = Array.from({ length: 1000 }, () => jittered(5000, 0.1, random));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(4500);
    expect(Math.max(...values)).toBeLessThanOrEqual(5500);
    expect(new Set(values).size).toBeGreaterThan(100);
  });
});
