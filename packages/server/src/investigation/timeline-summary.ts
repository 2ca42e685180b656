/**
 * The summary's cells from the database's per-bucket rows (pure): one cell
 * per seat and bucket that has a span, a state or a marker in it. Time in a
 * bucket that no status covers is offline, as the detailed timeline draws
 * the time before a seat's first state.
 */
import type { TimelineSummaryCell } from '@seatwatch/shared/dashboard-api';
import type { DominantRow, MarkerType } from './timeline-summary.repository.js';

type Presence = TimelineSummaryCell['state'];
const PRESENCE: ReadonlySet<string> = new Set(['active', 'idle', 'locked']);

export interface SummaryRows {
  spans: readonly DominantRow[];
  states: readonly DominantRow[];
  markers: readonly { seat_id: string; bucket: number; type: MarkerType; n: number }[];
}

/** The smallest bucket: finer than a second is the detailed timeline's job. */
export const MIN_BUCKET_MS = 1000;

/** Equal buckets over [from, to): as many as asked for, none shorter than MIN_BUCKET_MS. */
export function bucketGrid(from: number, to: number, buckets: number): { bucketMs: number; buckets: number } {
  const bucketMs = Math.max(MIN_BUCKET_MS, Math.ceil((to - from) / buckets));
  return { bucketMs, buckets: Math.ceil((to - from) / bucketMs) };
}

export function summaryCells(
  rows: SummaryRows,
  grid: { from: number; to: number; bucketMs: number },
): TimelineSummaryCell[] {
  const cells = new Map<string, TimelineSummaryCell>();
  const cell = (seatId: string, bucket: number) => {
    const key = `${seatId}\n${bucket}`;
    let found = cells.get(key);
    if (!found) {
      found = {
        seatId,
        bucket,
        activeMs: 0,
        spans: 0,
        app: null,
        appMs: 0,
        state: 'offline',
        screenshots: 0,
        anomalies: 0,
        devices: 0,
        logins: 0,
      };
      cells.set(key, found);
    }
    return found;
  };
  for (const row of rows.spans) {
    const target = cell(row.seat_id, row.bucket);
    target.activeMs = Math.max(0, row.total_ms);
    target.spans = row.n;
    target.app = row.key;
    target.appMs = Math.max(0, row.ms);
  }
  for (const row of rows.states) {
    const target = cell(row.seat_id, row.bucket);
    const start = grid.from + row.bucket * grid.bucketMs;
    const length = Math.min(grid.to, start + grid.bucketMs) - start;
    // Time no status covers (before the seat's first in the range, after now) is offline.
    const offline = length - row.total_ms;
    target.state = offline > row.ms || !PRESENCE.has(row.key) ? 'offline' : (row.key as Presence);
  }
  for (const row of rows.markers) cell(row.seat_id, row.bucket)[row.type] += row.n;
  return [...cells.values()].sort((a, b) =>
    a.seatId === b.seatId ? a.bucket - b.bucket : a.seatId < b.seatId ? -1 : 1,
  );
}
