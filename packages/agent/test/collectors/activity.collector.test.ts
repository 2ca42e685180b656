import { describe, expect, it } from 'vitest';
import { createActivityCollector } from '../../src/collectors/activity/activity.collector.js';
import { available } from '../../src/collectors/probe.js';
import { testContext } from '../support/collector-context.js';
import { FakeActiveWindow } from '../support/fake-collectors.js';

describe('activity collector', () => {
  it('announces a span at once, heartbeats it while it grows, and closes it on a window change', async () => {
    const t = testContext({ activitySampleMs: 1000, heartbeatMs: 15_000 });
    const window = new FakeActiveWindow();
    window.window = { app: 'XTerm', title: 'shell' };
    const collector = createActivityCollector(t.ctx, available(window));
    const start = t.clock.now();
    collector.start();
    await t.clock.advance(0);
    expect(t.events).toEqual([{ type: 'activity', time: start, end: start, app: 'XTerm', title: 'shell' }]);

    await t.clock.advance(16_000);
    expect(t.events).toHaveLength(2);
    expect(t.events[1]).toMatchObject({ time: start, end: start + 15_000, title: 'shell' });

    window.window = { app: 'Firefox', title: 'CRM' };
    await t.clock.advance(1000);
    // The closed span ends when the new window was first seen; the new one starts there.
    expect(t.events.slice(2)).toEqual([
      { type: 'activity', time: start, end: start + 17_000, app: 'XTerm', title: 'shell' },
      { type: 'activity', time: start + 17_000, end: start + 17_000, app: 'Firefox', title: 'CRM' },
    ]);
    expect(collector.currentWindow()).toEqual({ app: 'Firefox', title: 'CRM' });

    await t.clock.advance(3000);
    collector.stop();
    expect(t.events.at(-1)).toMatchObject({ time: start + 17_000, end: start + 20_000, app: 'Firefox' });
    expect(t.clock.pending).toBe(0);
  });

  it('cleans untrusted titles, and reports a failing adapter as an error without stopping', async () => {
    const t = testContext();
    const window = new FakeActiveWindow();
    window.window = { app: 'evil\u0000app', title: 'x'.repeat(5000) };
    const collector = createActivityCollector(t.ctx, available(window));
    collector.start();
    await t.clock.advance(0);
    const first = t.events[0] as { app: string; title: string };
    expect(first.app).toBe('evilapp');
    expect(Array.from(first.title)).toHaveLength(1024);
    window.failure = new Error('X server went away');
    await t.clock.advance(1000);
    expect(t.errors).toEqual([{ collector: 'activity', message: 'X server went away' }]);
    expect(collector.status()).toMatchObject({
      state: 'unavailable',
      detail: expect.stringContaining('X server went away'),
    });
    window.failure = null;
    await t.clock.advance(1000);
    expect(collector.status().state).toBe('running');
    collector.stop();
  });

  it('says why when there is no adapter', () => {
    const t = testContext();
    const collector = createActivityCollector(t.ctx, {
      ok: false,
      reason: 'no X11 display (DISPLAY is not set)',
    });
    collector.start();
    expect(collector.status()).toEqual({
      state: 'unavailable',
      detail: 'no X11 display (DISPLAY is not set)',
    });
    expect(t.clock.pending).toBe(0);
  });
});
