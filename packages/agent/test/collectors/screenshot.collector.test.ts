import type { CaptureEvent } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import { available } from '../../src/collectors/probe.js';
import { createSharpImageEncoder } from '../../src/collectors/screenshot/image-encoder.sharp.js';
import {
  type CaptureResult,
  createScreenshotCollector,
} from '../../src/collectors/screenshot/screenshot.collector.js';
import type { PresenceState } from '../../src/core/idle-machine.js';
import type { ForegroundReading } from '../../src/core/privacy.js';
import { testContext } from '../support/collector-context.js';
import { FakeScreen } from '../support/fake-collectors.js';

async function setup(policy = {}) {
  const t = testContext({
    screenshotIntervalMs: 60_000,
    screenshotJitter: 0.2,
    screenshotMaxWidth: 160,
    ...policy,
  });
  const screen = new FakeScreen();
  const encoder = await createSharpImageEncoder();
  const images: { bytes: Uint8Array; event: CaptureEvent }[] = [];
  const done: ((result: CaptureResult) => void)[] = [];
  const nextCapture = () => new Promise<CaptureResult>((resolve) => done.push(resolve));
  const state = {
    /** The window in front (what a read of the port says now). */
    window: { app: 'XTerm', title: 'shell' } as { app: string; title: string } | null,
    /** The last activity sample, when a test wants it to differ from the window in front. */
    sample: undefined as { app: string; title: string } | null | undefined,
    readFailure: null as string | null,
    reads: 0,
    presence: 'active' as PresenceState | null,
  };
  const collector = createScreenshotCollector(t.ctx, available(screen), encoder, {
    activeWindow: () => (state.sample === undefined ? state.window : state.sample),
    readForeground: async (): Promise<ForegroundReading> => {
      state.reads++;
      return state.readFailure
        ? { known: false, reason: state.readFailure }
        : { known: true, window: state.window };
    },
    presence: () => state.presence,
    onImage: (image, event) => images.push({ bytes: image.bytes, event }),
    onCaptureDone: (result) => {
      for (const resolve of done.splice(0)) resolve(result);
    },
  });
  return { t, screen, collector, images, state, nextCapture };
}

describe('screenshot collector', () => {
  it('captures on schedule at the jittered interval, scaled and encoded', async () => {
    const { t, collector, images, screen, nextCapture } = await setup();
    collector.start();
    // random() = 0.5: exactly the interval.
    await t.clock.advance(59_999);
    expect(screen.captures).toBe(0);
    const captured = nextCapture();
    await t.clock.advance(1);
    await captured;
    expect(images).toHaveLength(1);
    expect(images[0]!.event).toMatchObject({
      outcome: 'captured',
      trigger: 'schedule',
      width: 160,
      height: 100,
    });
    collector.stop();
  });

  it('sends "unchanged" instead of an identical screenshot, and captures again after a change', async () => {
    const { t, collector, images, screen } = await setup();
    await collector.captureNow('c1');
    const second = await collector.captureNow('c2');
    expect(second.events).toEqual([expect.objectContaining({ outcome: 'unchanged', commandId: 'c2' })]);
    expect(t.events).toEqual([expect.objectContaining({ type: 'capture', outcome: 'unchanged' })]);
    screen.variant = 5;
    const third = await collector.captureNow(null);
    expect(third.events[0]!.outcome).toBe('captured');
    expect(images).toHaveLength(2);
  });

  it('pauses while the foreground window is on the privacy list, saying why', async () => {
    const { t, collector, screen, state } = await setup({ privacyList: ['Payment'] });
    state.window = { app: 'firefox', title: 'Secure payment — Checkout' };
    const result = await collector.captureNow('c1');
    expect(result.events).toEqual([
      expect.objectContaining({ outcome: 'paused', reason: expect.stringContaining('"Payment"') }),
    ]);
    expect(screen.captures).toBe(0);
    expect(t.events).toHaveLength(1);
    collector.start();
    expect(collector.status()).toMatchObject({ state: 'paused' });
    collector.stop();
  });

  it('decides on the window in front when the capture starts, not on the last activity sample', async () => {
    const { collector, screen, state, images } = await setup({ privacyList: ['Payment checkout'] });
    // Sampled a second ago: the shell. In front now: the checkout.
    state.sample = { app: 'XTerm', title: 'shell' };
    state.window = { app: 'XTerm', title: 'Payment checkout — card 4111' };
    const result = await collector.captureNow('c1');
    expect(result.events).toEqual([
      expect.objectContaining({ outcome: 'paused', reason: expect.stringContaining('"Payment checkout"') }),
    ]);
    expect(screen.captures).toBe(0);
    expect(images).toHaveLength(0);
  });

  it('drops the images when a privacy-listed window came forward during the capture', async () => {
    const { t, collector, screen, state, images } = await setup({ privacyList: ['Payment checkout'] });
    screen.monitors = 2;
    // The checkout comes to the front between the first and the second monitor's frame.
    screen.afterFrame = (monitor) => {
      if (monitor === 0) state.window = { app: 'XTerm', title: 'Payment checkout' };
    };
    const result = await collector.captureNow('c1');
    expect(result.events).toEqual([
      expect.objectContaining({
        type: 'capture',
        outcome: 'paused',
        commandId: 'c1',
        monitor: 0,
        reason: expect.stringMatching(
          /"Payment checkout" came to the front during the capture; the image was dropped/,
        ),
      }),
    ]);
    expect(state.reads).toBe(2);
    expect(images).toHaveLength(0);
    expect(t.events).toEqual(result.events);

    // Back to the shell: the same screen is captured, not "unchanged" against the dropped image.
    screen.afterFrame = null;
    state.window = { app: 'XTerm', title: 'shell' };
    const again = await collector.captureNow('c2');
    expect(again.events.map((e) => [e.monitor, e.outcome])).toEqual([
      [0, 'captured'],
      [1, 'captured'],
    ]);
    expect(images).toHaveLength(2);
  });

  it('with a privacy list, a window it cannot read pauses the capture; without one, it does not', async () => {
    const { collector, screen, state, images } = await setup({ privacyList: ['Payment'] });
    state.readFailure = 'xprop stopped';
    expect((await collector.captureNow(null)).events).toEqual([
      expect.objectContaining({ outcome: 'paused', reason: expect.stringContaining('xprop stopped') }),
    ]);
    expect(screen.captures).toBe(0);
    // Readable before, unreadable after: the image is dropped.
    state.readFailure = null;
    screen.afterFrame = () => {
      state.readFailure = 'xprop stopped';
    };
    expect((await collector.captureNow(null)).events).toEqual([
      expect.objectContaining({
        outcome: 'paused',
        reason: expect.stringMatching(/after capturing.*dropped/),
      }),
    ]);
    expect(images).toHaveLength(0);

    const open = await setup({ privacyList: [] });
    open.state.readFailure = 'xprop stopped';
    expect((await open.collector.captureNow(null)).events[0]!.outcome).toBe('captured');
  });

  it('never passes off a black frame or a locked screen as a screenshot', async () => {
    const { collector, screen, state, images } = await setup();
    screen.blank = true;
    expect((await collector.captureNow(null)).events[0]).toMatchObject({
      outcome: 'unavailable',
      reason: expect.stringMatching(/blank/),
    });
    screen.blank = false;
    state.presence = 'locked';
    expect((await collector.captureNow(null)).events[0]).toMatchObject({
      outcome: 'unavailable',
      reason: 'the screen is locked',
    });
    expect(images).toHaveLength(0);
  });

  it('turns a failed capture into an event, and an unavailable adapter into a reason', async () => {
    const { t, collector, screen } = await setup();
    screen.failure = new Error('XGetImage failed');
    expect((await collector.captureNow(null)).events[0]).toMatchObject({
      outcome: 'failed',
      reason: 'XGetImage failed',
    });
    expect(t.errors).toHaveLength(1);

    const encoder = await createSharpImageEncoder();
    const none = createScreenshotCollector(
      t.ctx,
      { ok: false, reason: 'Wayland session: no capture portal' },
      encoder,
      {
        activeWindow: () => null,
        readForeground: async () => ({ known: true, window: null }),
        presence: () => null,
        onImage: () => {},
        onCaptureDone: () => {},
      },
    );
    expect((await none.captureNow(null)).events[0]).toMatchObject({
      outcome: 'unavailable',
      reason: 'Wayland session: no capture portal',
    });
    expect(none.status()).toEqual({ state: 'unavailable', detail: 'Wayland session: no capture portal' });
  });

  it('captures every monitor, and respects screenshots turned off', async () => {
    const { t, collector, screen } = await setup();
    screen.monitors = 2;
    const result = await collector.captureNow(null);
    expect(result.events.map((e) => [e.monitor, e.outcome])).toEqual([
      [0, 'captured'],
      [1, 'captured'],
    ]);
    t.setPolicy({ screenshotsEnabled: false });
    collector.start();
    await t.clock.advance(120_000);
    expect(screen.captures).toBe(1);
    expect((await collector.captureNow('c')).events[0]).toMatchObject({
      outcome: 'paused',
      reason: expect.stringMatching(/turned off/),
    });
    collector.stop();
  });
});
