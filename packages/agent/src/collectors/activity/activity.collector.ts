/**
 * Samples the foreground window every policy.activitySampleMs and merges the
 * samples into spans (core/spans.ts). A span is sent when it closes, and
 * while it stays open an update of it every policy.heartbeatMs, so a long
 * stretch in one window is neither lost in a crash nor held back for hours:
 * events with the same start time, app and title describe one span, and the
 * latest end wins.
 *
 * Titles and app names are masked (core/masking.ts: card numbers, the
 * project's patterns) before they become events; `readNow`, which the
 * screenshot collector matches against the privacy list, gives them
 * unmasked, since that decision stays on the seat.
 */
import { MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';
import { createMasker, type Masker } from '../../core/masking.js';
import type { ForegroundReading } from '../../core/privacy.js';
import { mergeSample, type Span } from '../../core/spans.js';
import type { Collector, CollectorContext } from '../collector.js';
import { pollPort, READ_FAILED } from '../port-poller.js';
import type { Probe } from '../probe.js';
import type { ActiveWindow, ActiveWindowPort } from './active-window.port.js';

export interface ActivityCollector extends Collector {
  /** The newest sample (up to policy.activitySampleMs old): what the status tells. */
  currentWindow(): ActiveWindow | null;
  /**
   * The foreground window read from the port now, not the last sample: the
   * screenshot collector reads it right before and right after capturing.
   */
  readNow(): Promise<ForegroundReading>;
}

/** A read at capture time must not hold a screenshot up for long. */
const READ_NOW_TIMEOUT_MS = 2000;

export function createActivityCollector(
  ctx: CollectorContext,
  probe: Probe<ActiveWindowPort>,
): ActivityCollector {
  const poller = pollPort(ctx, 'activity', probe);
  let open: Span | null = null;
  let lastSent: Span | null = null;
  let lastSentAt = 0;
  let current: ActiveWindow | null = null;

  const send = (span: Span) => {
    ctx.emit({ type: 'activity', time: span.time, end: span.end, app: span.app, title: span.title });
    lastSent = span;
    lastSentAt = ctx.clock.now();
  };

  const clean = (sample: ActiveWindow | null): ActiveWindow | null =>
    sample
      ? {
          app: sanitizeText(sample.app, MAX_STRING_LENGTHS.app),
          title: sanitizeText(sample.title, MAX_STRING_LENGTHS.title),
        }
      : null;

  let masker: { key: string; masker: Masker } | null = null;
  /** The policy's masker, compiled again only when its masks change. */
  const currentMasker = (): Masker => {
    const masks = ctx.policy().masks;
    const key = JSON.stringify(masks ?? null);
    if (masker?.key !== key) masker = { key, masker: createMasker(masks) };
    return masker.masker;
  };
  // Masked before truncation, so a card number cut at the limit is not left half readable.
  const masked = (sample: ActiveWindow | null): ActiveWindow | null => {
    if (!sample) return null;
    const mask = currentMasker();
    // Far beyond what is sent, cut first: the masks' work stays bounded whatever a window calls itself.
    const bounded = (text: string, max: number) => mask.mask(text.slice(0, max * 4));
    return clean({
      app: bounded(sample.app, MAX_STRING_LENGTHS.app),
      title: bounded(sample.title, MAX_STRING_LENGTHS.title),
    });
  };

  const tick = async () => {
    const now = ctx.clock.now();
    const policy = ctx.policy();
    const sample = await poller.read((port) => port.current(), 5000, 'active window');
    if (sample === READ_FAILED) return;
    current = masked(sample);
    // Two missed samples end a span: the seat was suspended or the agent starved.
    const pulseMs = policy.activitySampleMs * 2 + 1000;
    const result = mergeSample(open, current ? { time: now, ...current } : null, now, pulseMs);
    if (result.closed) send(result.closed);
    open = result.open;
    if (open && !sameSpan(lastSent, open)) {
      // A new span is announced at once, so the dashboard shows the current window without waiting a heartbeat.
      send(open);
    } else if (open && now - lastSentAt >= policy.heartbeatMs && open.end > (lastSent?.end ?? 0)) {
      send(open);
    }
  };

  return {
    name: 'activity',
    start: () => poller.start(() => ctx.policy().activitySampleMs, tick),
    stop() {
      poller.stop();
      // The span's last stretch since its heartbeat.
      if (open && !(sameSpan(lastSent, open) && lastSent!.end >= open.end)) send(open);
      open = null;
    },
    status: () =>
      poller.status(
        (port) =>
          `foreground application and window title every ${ctx.policy().activitySampleMs / 1000} s, via ${port.name}`,
      ),
    currentWindow: () => current,
    async readNow() {
      if (!probe.ok) return { known: false, reason: probe.reason };
      const sample = await poller.read((port) => port.current(), READ_NOW_TIMEOUT_MS, 'active window');
      return sample === READ_FAILED
        ? { known: false, reason: 'the active window adapter failed' }
        : { known: true, window: clean(sample) };
    },
  };
}

function sameSpan(a: Span | null, b: Span): boolean {
  return a !== null && a.time === b.time && a.app === b.app && a.title === b.title;
}
