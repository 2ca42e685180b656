import { describe, expect, it } from 'vitest';
import { createIdleCollector } from '../../src/collectors/idle/idle.collector.js';
import { parseIdleLine } from '../../src/collectors/idle/idle-loop.js';
import { available } from '../../src/collectors/probe.js';
import { testContext } from '../support/collector-context.js';
import { FakeIdleTime } from '../support/fake-collectors.js';

describe('idle collector', () => {
  it('reports active, idle after the policy threshold, locked, and active again', async () => {
    const t = testContext({ idleThresholdMs: 180_000 });
    const idle = new FakeIdleTime();
    const collector = createIdleCollector(t.ctx, available(idle));
    const t0 = t.clock.now();
    idle.reading = { idleMs: 1000, locked: false };
    collector.start();
    await t.clock.advance(0);
    expect(t.events).toEqual([{ type: 'status', time: t0, state: 'active', idleMs: 1000 }]);

    idle.reading = { idleMs: 181_000, locked: false };
    await t.clock.advance(1000);
    // The last input was before the previous change: the idle state cannot date from before it.
    expect(t.events[1]).toEqual({ type: 'status', time: t0, state: 'idle', idleMs: 181_000 });
    expect(collector.presence()).toBe('idle');

    idle.reading = { idleMs: 181_500, locked: true };
    await t.clock.advance(1000);
    expect(t.events[2]).toMatchObject({ state: 'locked', time: t0 + 2000 });

    idle.reading = { idleMs: 200, locked: false };
    await t.clock.advance(1000);
    expect(t.events[3]).toMatchObject({ state: 'active', time: t0 + 3000 });
    await t.clock.advance(5000);
    expect(t.events).toHaveLength(4);
    collector.stop();
  });

  it('follows a policy change of the threshold without a restart', async () => {
    const t = testContext({ idleThresholdMs: 180_000 });
    const idle = new FakeIdleTime();
    idle.reading = { idleMs: 60_000, locked: null };
    const collector = createIdleCollector(t.ctx, available(idle));
    collector.start();
    await t.clock.advance(0);
    expect(collector.presence()).toBe('active');
    t.setPolicy({ idleThresholdMs: 30_000 });
    await t.clock.advance(1000);
    expect(collector.presence()).toBe('idle');
    collector.stop();
  });

  it('parses the helper lines of every OS loop', () => {
    expect(parseIdleLine('1234 -')).toEqual({ idleMs: 1234, locked: null });
    expect(parseIdleLine('0 1')).toEqual({ idleMs: 0, locked: true });
    expect(parseIdleLine('987 0')).toEqual({ idleMs: 987, locked: false });
    expect(parseIdleLine('garbage')).toBeNull();
    expect(parseIdleLine('-5 0')).toBeNull();
  });
});
