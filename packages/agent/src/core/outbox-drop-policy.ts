/**
 * What to drop when the outbox would grow past policy.outboxMaxBytes.
 * Screenshots go first, oldest first, each replaced in place by a small
 * data_dropped marker that keeps its sequence number (so the server sees no
 * gap, and learns what went). Only when no screenshot is left do events go:
 * the oldest run of batches is replaced by one marker at the run's first
 * sequence number, so the server reads the explanation before the gap.
 */
export interface OutboxEntry {
  readonly seq: number;
  readonly kind: 'batch' | 'blob';
  /** Bytes the entry holds on disk (payload plus blob). */
  readonly bytes: number;
  /** Events it carries: a batch's events, 1 for a blob's capture event. */
  readonly eventCount: number;
}

export interface EventDrop {
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  readonly bytes: number;
}

export interface DropPlan {
  /** Sequence numbers of screenshots to replace by a marker, oldest first. */
  readonly screenshots: readonly number[];
  /** A run of the oldest batches to replace by one marker, if screenshots were not enough. */
  readonly events: EventDrop | null;
  /** False when even an empty outbox could not hold the incoming item. */
  readonly fits: boolean;
}

export function planDrops(
  entries: readonly OutboxEntry[],
  maxBytes: number,
  incomingBytes: number,
  markerBytes: number,
): DropPlan {
  let total = incomingBytes;
  for (const entry of entries) total += entry.bytes;
  if (total <= maxBytes) return { screenshots: [], events: null, fits: true };
  if (incomingBytes > maxBytes) return { screenshots: [], events: null, fits: false };

  const screenshots: number[] = [];
  const remaining: OutboxEntry[] = [];
  for (const entry of entries) {
    if (total > maxBytes && entry.kind === 'blob' && entry.bytes > markerBytes) {
      screenshots.push(entry.seq);
      total -= entry.bytes - markerBytes;
      remaining.push({ seq: entry.seq, kind: 'batch', bytes: markerBytes, eventCount: 1 });
    } else {
      remaining.push(entry);
    }
  }
  if (total <= maxBytes) return { screenshots, events: null, fits: true };

  let dropped = 0;
  let count = 0;
  let index = 0;
  // The run's own marker takes markerBytes back, so drop until that fits too.
  while (index < remaining.length && total - dropped + markerBytes > maxBytes) {
    dropped += remaining[index]!.bytes;
    count += remaining[index]!.eventCount;
    index++;
  }
  if (index === 0) return { screenshots, events: null, fits: total <= maxBytes };
  const events: EventDrop = {
    fromSeq: remaining[0]!.seq,
    toSeq: remaining[index - 1]!.seq,
    count: Math.max(1, count),
    bytes: dropped,
  };
  return { screenshots, events, fits: total - dropped + markerBytes <= maxBytes };
}
