/** Pure helpers for the day strip: where each span sits, and time per application. */
import type { ActivitySpanRow, StateChangeRow } from '@seatwatch/shared/dashboard-api';

export interface Placed {
  readonly left: number;
  readonly width: number;
}

/** Percent of the window [from, to); spans outside are clipped away. */
export function place(start: number, end: number, from: number, to: number): Placed | null {
  const a = Math.max(start, from);
  const b = Math.min(end, to);
  if (b <= a || to <= from) return null;
  return { left: ((a - from) / (to - from)) * 100, width: ((b - a) / (to - from)) * 100 };
}

export interface AppTotal {
  readonly app: string;
  readonly ms: number;
}

export function appTotals(spans: readonly ActivitySpanRow[], from: number, to: number): AppTotal[] {
  const totals = new Map<string, number>();
  for (const span of spans) {
    const ms = Math.min(span.end, to) - Math.max(span.start, from);
    if (ms > 0) totals.set(span.app, (totals.get(span.app) ?? 0) + ms);
  }
  return [...totals].map(([app, ms]) => ({ app, ms })).sort((a, b) => b.ms - a.ms);
}

/** Idle and locked periods from the state changes: each lasts until the next change (or `until`). */
export function awayPeriods(
  states: readonly StateChangeRow[],
  until: number,
): { state: 'idle' | 'locked'; start: number; end: number }[] {
  const sorted = [...states].sort((a, b) => a.time - b.time);
  const periods: { state: 'idle' | 'locked'; start: number; end: number }[] = [];
  sorted.forEach((change, index) => {
    if (change.state === 'active') return;
    const end = sorted[index + 1]?.time ?? until;
    if (end > change.time) periods.push({ state: change.state, start: change.time, end });
  });
  return periods;
}

/** A stable colour per application name, so the same app looks the same across the day. */
export function appHue(app: string): number {
  let hash = 0;
  for (let i = 0; i < app.length; i++) hash = (hash * 31 + app.charCodeAt(i)) | 0;
  return Math.abs(hash) % 360;
}
