/**
 * Events on their way into the outbox: they wait up to `flushDelayMs` to
 * share one batch record (fewer fsyncs and frames), while urgent ones
 * (lifecycle, notice acknowledgement, command results) go at once. A
 * screenshot's blob goes in behind the events queued before it.
 */
import type { CaptureEvent, Event } from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import type { EncodedImage } from '../collectors/screenshot/screen-capture.port.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { Outbox } from './outbox.js';

const MAX_EVENTS_PER_FLUSH = 200;

export interface Queued {
  readonly seq: number;
  readonly kind: 'batch' | 'blob';
  readonly events: readonly Event[];
}

export interface EventBatcher {
  queue(event: Event, urgent?: boolean): void;
  /** Writes what waits into the outbox; the last seq written, or null when nothing was. */
  flush(): number | null;
  /** Appends a screenshot blob; null when there is no outbox yet. */
  appendBlob(image: EncodedImage, event: CaptureEvent): number | null;
}

export interface EventBatcherOptions {
  readonly clock: Clock;
  readonly flushDelayMs: number;
  /** Null until the agent has opened it. */
  outbox(): Outbox | null;
  onQueued(queued: Queued): void;
  /** After a flush wrote something: deliver it, refresh the status file. */
  onFlushed(): void;
}

export function createEventBatcher(options: EventBatcherOptions): EventBatcher {
  const { clock } = options;
  const pending: Event[] = [];
  let timer: TimerHandle | null = null;

  function flush(): number | null {
    clock.clearTimeout(timer);
    timer = null;
    const outbox = options.outbox();
    if (!outbox || pending.length === 0) return null;
    let seq: number | null = null;
    while (pending.length > 0) {
      const events = pending.splice(0, MAX_EVENTS_PER_FLUSH);
      seq = outbox.appendBatch(events);
      options.onQueued({ seq, kind: 'batch', events });
    }
    options.onFlushed();
    return seq;
  }

  return {
    queue(event, urgent = false) {
      pending.push(event);
      if (urgent || pending.length >= MAX_EVENTS_PER_FLUSH) flush();
      else if (!timer) timer = clock.setTimeout(flush, options.flushDelayMs);
    },
    flush,
    appendBlob(image, event) {
      const outbox = options.outbox();
      if (!outbox) return null;
      // Events seen before the screenshot keep their place in front of it.
      flush();
      const seq = outbox.appendBlob(image.mime, sha256Hex(image.bytes), event, image.bytes);
      options.onQueued({ seq, kind: 'blob', events: [event] });
      return seq;
    },
  };
}
