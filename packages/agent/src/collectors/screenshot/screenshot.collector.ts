/**
 * Screenshots of every monitor at policy.screenshotIntervalMs ± jitter and on
 * capture_now. Every attempt is one capture event per monitor whose outcome
 * says what happened: captured (the image travels in a blob frame),
 * unchanged (same perceptual hash as the last one sent), paused (the
 * foreground window is on the privacy list, or screenshots are off),
 * unavailable (no capture possible here, screen locked, blank frame) or
 * failed. Never a black frame passed off as a real one.
 *
 * The privacy list is checked against the window in front when the capture
 * starts, read from the activity port at that moment, and again once every
 * monitor is captured: images are handed on only if no listed window came
 * forward in between (core/privacy.ts).
 */
import type { CaptureEvent } from '@seatwatch/shared';
import type { PresenceState } from '../../core/idle-machine.js';
import { differenceHash, isUnchanged, looksBlank } from '../../core/perceptual-hash.js';
import { type ForegroundReading, privacyPause } from '../../core/privacy.js';
import { nextCaptureDelay } from '../../core/screenshot-schedule.js';
import { type Loop, startLoop } from '../../runtime/loop.js';
import type { ActiveWindow } from '../activity/active-window.port.js';
import type { Collector, CollectorContext, CollectorStatus } from '../collector.js';
import { errorMessage, type Probe, withTimeout } from '../probe.js';
import type { EncodedImage, ImageEncoderPort, ScreenCapturePort } from './screen-capture.port.js';

const SCREENSHOTS_OFF = 'screenshots are turned off by the policy';

export type CaptureTrigger = 'schedule' | 'command';

export interface CaptureResult {
  readonly trigger: CaptureTrigger;
  readonly commandId: string | null;
  readonly events: readonly CaptureEvent[];
  /** Capture + hash + encode of all monitors, in ms (the footprint benchmark reads it). */
  readonly durationMs: number;
}

export interface ScreenshotHooks {
  /** The last activity sample, for the status. */
  activeWindow(): ActiveWindow | null;
  /** The foreground window read now: before each capture and again after it. */
  readForeground(): Promise<ForegroundReading>;
  presence(): PresenceState | null;
  /** A captured image: the agent puts it in the outbox as a blob and shows it on the local page. */
  onImage(image: EncodedImage, event: CaptureEvent): void;
  onCaptureDone(result: CaptureResult): void;
}

export interface ScreenshotCollector extends Collector {
  captureNow(commandId: string | null): Promise<CaptureResult>;
}

export function createScreenshotCollector(
  ctx: CollectorContext,
  capture: Probe<ScreenCapturePort>,
  encoder: Probe<ImageEncoderPort>,
  hooks: ScreenshotHooks,
): ScreenshotCollector {
  let loop: Loop | null = null;
  const lastHash = new Map<number, string>();
  let queue: Promise<unknown> = Promise.resolve();

  /** For the status: from the last activity sample, which is enough to say what is going on. */
  const pausedBecause = (): string | null => {
    const policy = ctx.policy();
    if (!policy.screenshotsEnabled) return SCREENSHOTS_OFF;
    const window = hooks.activeWindow();
    return privacyPause(policy.privacyList, { known: true, window });
  };

  const unavailableBecause = (): string | null => {
    if (!capture.ok) return capture.reason;
    if (!encoder.ok) return encoder.reason;
    if (hooks.presence() === 'locked') return 'the screen is locked';
    return null;
  };

  const attempt = async (trigger: CaptureTrigger, commandId: string | null): Promise<CaptureResult> => {
    const started = performance.now();
    const time = ctx.clock.now();
    const event = (
      outcome: CaptureEvent['outcome'],
      reason: string,
      monitor = 0,
      width = 0,
      height = 0,
    ): CaptureEvent => ({
      type: 'capture',
      time,
      outcome,
      trigger,
      monitor,
      width,
      height,
      reason,
      commandId,
    });
    let events: CaptureEvent[] = [];
    const policy = ctx.policy();
    // The window in front now, not the last activity sample (issue #12).
    const before = policy.screenshotsEnabled ? await hooks.readForeground() : null;
    const paused = before ? privacyPause(policy.privacyList, before) : SCREENSHOTS_OFF;
    const notPossible = unavailableBecause();
    if (paused) events.push(event('paused', paused));
    else if (notPossible || !capture.ok || !encoder.ok)
      events.push(event('unavailable', notPossible ?? 'no capture adapter'));
    else {
      // Images wait here until the window has been read again after the last monitor.
      const images: { image: EncodedImage; event: CaptureEvent; hash: string }[] = [];
      try {
        let monitors = 0;
        const frames = capture.port.captureEach()[Symbol.asyncIterator]();
        for (;;) {
          const next = await withTimeout(frames.next(), 20_000, 'screen capture');
          if (next.done) break;
          monitors++;
          const frame = next.value;
          const scaled = await encoder.port.scale(frame, policy.screenshotMaxWidth);
          const grey = await encoder.port.thumbnail(scaled);
          if (looksBlank(grey)) {
            events.push(
              event(
                'unavailable',
                'the captured frame is blank: the screen may be locked or capture blocked',
                frame.monitor,
                frame.width,
                frame.height,
              ),
            );
            continue;
          }
          const hash = differenceHash(grey);
          if (isUnchanged(lastHash.get(frame.monitor) ?? null, hash)) {
            events.push(
              event(
                'unchanged',
                'the screen has not changed since the last screenshot',
                frame.monitor,
                frame.width,
                frame.height,
              ),
            );
            continue;
          }
          const image = await encoder.port.encode(scaled, {
            format: policy.screenshotFormat,
            quality: policy.screenshotQuality,
          });
          const captured = event('captured', '', frame.monitor, image.width, image.height);
          images.push({ image, event: captured, hash });
          events.push(captured);
        }
        if (monitors === 0) events.push(event('unavailable', 'no monitor found'));
      } catch (error) {
        events.push(event('failed', errorMessage(error)));
        ctx.reportError('screenshot', error);
      }
      const dropped =
        images.length > 0 && before
          ? privacyPause(policy.privacyList, before, await hooks.readForeground())
          : null;
      if (dropped) {
        // Recorded as any paused attempt is: one event, and nothing of what was captured.
        events = [event('paused', dropped)];
      } else {
        for (const kept of images) {
          lastHash.set(kept.event.monitor, kept.hash);
          hooks.onImage(kept.image, kept.event);
        }
      }
    }
    for (const e of events) if (e.outcome !== 'captured') ctx.emit(e);
    const result: CaptureResult = { trigger, commandId, events, durationMs: performance.now() - started };
    hooks.onCaptureDone(result);
    return result;
  };

  // One capture at a time: a capture_now during a scheduled capture waits its turn.
  const enqueue = (trigger: CaptureTrigger, commandId: string | null) => {
    const next = queue.then(() => attempt(trigger, commandId));
    queue = next.catch(() => {});
    return next;
  };

  const delay = () => {
    const policy = ctx.policy();
    return nextCaptureDelay(policy.screenshotIntervalMs, policy.screenshotJitter, ctx.random);
  };

  return {
    name: 'screenshot',
    start() {
      if (loop) return;
      loop = startLoop(
        ctx.clock,
        delay,
        async () => {
          if (ctx.policy().screenshotsEnabled) await enqueue('schedule', null);
        },
        delay(),
      );
    },
    stop() {
      loop?.stop();
      loop = null;
    },
    captureNow: (commandId) => enqueue('command', commandId),
    status(): CollectorStatus {
      const notPossible = !capture.ok ? capture.reason : !encoder.ok ? encoder.reason : null;
      if (notPossible) return { state: 'unavailable', detail: notPossible };
      if (!loop) return { state: 'stopped', detail: 'not collecting' };
      const paused = pausedBecause();
      if (paused) return { state: 'paused', detail: paused };
      if (hooks.presence() === 'locked') return { state: 'paused', detail: 'the screen is locked' };
      const policy = ctx.policy();
      return {
        state: 'running',
        detail: `every monitor every ${Math.round(policy.screenshotIntervalMs / 1000)} s ±${Math.round(policy.screenshotJitter * 100)}%, scaled to at most ${policy.screenshotMaxWidth} px wide, ${policy.screenshotFormat.toUpperCase()} quality ${policy.screenshotQuality}; skipped when the screen has not changed`,
      };
    },
  };
}
