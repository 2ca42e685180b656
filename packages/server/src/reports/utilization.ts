/**
 * A team report's numbers, from what the seats reported (pure, no I/O).
 *
 * Presence: a seat is in the state of its latest `status` event (active,
 * idle, locked) until its next status event or a `lifecycle` stopping event;
 * time with no state is offline. The shift is the team's schedule (a team
 * without one is "in shift" all day, so its offline time is every hour
 * without a state). Hours of day are the wall clock of the report's zone.
 */
import type { ReportHour, SeatUtilization, ShiftSchedule } from '@seatwatch/shared/dashboard-api';
import { nextShiftStart, shiftAt, wallClock } from '../domain/rules/shift-schedule.js';

export type PresenceState = 'active' | 'idle' | 'locked';

/** A status change or a clean stop of a seat's agent, oldest first. */
export interface PresenceMark {
  readonly time: number;
  /** null: the agent stopped (offline from here). */
  readonly state: PresenceState | null;
}

export interface Interval {
  readonly start: number;
  readonly end: number;
}

export interface PresenceInterval extends Interval {
  readonly state: PresenceState;
}

const MINUTE = 60_000;
const QUARTER_HOUR = 15 * MINUTE;

/** Local midnight of a date (YYYY-MM-DD) in a zone, as an instant. */
export function localMidnight(timeZone: string, date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wanted = Date.UTC(y, m - 1, d);
  let at = wanted;
  // Two corrections settle on the offset in force at that midnight (the second for a DST change near it).
  for (let i = 0; i < 2; i++) {
    const local = wallClock(timeZone, at);
    const [ly, lm, ld] = local.date.split('-').map(Number) as [number, number, number];
    const shownAsUtc = Date.UTC(ly, lm - 1, ld) + Math.round(local.minute * MINUTE);
    at += wanted - shownAsUtc;
  }
  return at;
}

/** The next local date after `days` days. */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The shift's intervals inside [from, to); the whole range without a schedule. */
export function shiftIntervals(schedule: ShiftSchedule | null, from: number, to: number): Interval[] {
  if (!schedule) return from < to ? [{ start: from, end: to }] : [];
  const out: Interval[] = [];
  let t = from;
  // Each step enters or leaves an interval; the bound only guards against a pathological schedule.
  for (let step = 0; t < to && step < 10_000; step++) {
    const window = shiftAt(schedule, t);
    if (window) {
      const end = Math.min(window.endsAt, to);
      const last = out[out.length - 1];
      if (last && last.end === t) out[out.length - 1] = { start: last.start, end };
      else if (end > t) out.push({ start: t, end });
      t = Math.max(end, t + 1);
    } else {
      const next = nextShiftStart(schedule, t);
      if (next === null) break;
      t = Math.max(next, t + 1);
    }
  }
  return out;
}

/** A seat's states as intervals clipped to [from, to); `marks` may start before `from`. */
export function presenceIntervals(
  marks: readonly PresenceMark[],
  from: number,
  to: number,
): PresenceInterval[] {
  const out: PresenceInterval[] = [];
  for (let i = 0; i < marks.length; i++) {
    const mark = marks[i]!;
    if (!mark.state) continue;
    const start = Math.max(mark.time, from);
    const end = Math.min(marks[i + 1]?.time ?? to, to);
    if (end > start) out.push({ start, end, state: mark.state });
  }
  return out;
}

/** The overlap of two sorted lists of disjoint intervals. */
export function intersect<T extends Interval>(a: readonly T[], b: readonly Interval[]): (T & Interval)[] {
  const out: (T & Interval)[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && b[j]!.end <= x.start) j++;
    for (let k = j; k < b.length && b[k]!.start < x.end; k++) {
      const start = Math.max(x.start, b[k]!.start);
      const end = Math.min(x.end, b[k]!.end);
      if (end > start) out.push({ ...x, start, end });
    }
  }
  return out;
}

const total = (intervals: readonly Interval[]) => intervals.reduce((sum, i) => sum + (i.end - i.start), 0);
const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

export interface SeatInput {
  readonly seatId: string;
  readonly name: string;
  readonly marks: readonly PresenceMark[];
}

export interface UtilizationResult {
  seats: SeatUtilization[];
  hours: ReportHour[];
}

/** Cuts an interval at every quarter hour (UTC offsets are whole quarters) and credits each piece's local hour. */
function creditHours(
  hours: ReportHour[],
  timeZone: string,
  interval: Interval,
  key: 'activeMs' | 'idleMs' | 'lockedMs' | 'offlineMs',
): void {
  let t = interval.start;
  while (t < interval.end) {
    const next = Math.min(interval.end, (Math.floor(t / QUARTER_HOUR) + 1) * QUARTER_HOUR);
    const hour = Math.floor(wallClock(timeZone, t).minute / 60) % 24;
    hours[hour]![key] += next - t;
    t = next;
  }
}

/**
 * Each seat's time per state in its shift, its utilization and adherence,
 * and the team's state per local hour of day, for [from, to) (to already
 * cut at "now" by the caller: the future is neither present nor offline).
 */
export function utilization(
  seats: readonly SeatInput[],
  schedule: ShiftSchedule | null,
  timeZone: string,
  from: number,
  to: number,
): UtilizationResult {
  const shift = shiftIntervals(schedule, from, to);
  const scheduledMs = total(shift);
  const hours: ReportHour[] = Array.from({ length: 24 }, (_, hour) => ({
    hour,
    activeMs: 0,
    idleMs: 0,
    lockedMs: 0,
    offlineMs: 0,
  }));
  const rows = seats.map((seat): SeatUtilization => {
    const presence = presenceIntervals(seat.marks, from, to);
    const inShift = intersect(presence, shift);
    const of = (state: PresenceState, list: readonly PresenceInterval[]) =>
      total(list.filter((i) => i.state === state));
    const activeMs = of('active', inShift);
    const idleMs = of('idle', inShift);
    const lockedMs = of('locked', inShift);
    const offlineMs = Math.max(0, scheduledMs - activeMs - idleMs - lockedMs);
    for (const interval of presence) creditHours(hours, timeZone, interval, `${interval.state}Ms`);
    for (const gap of complement(inShift, shift)) creditHours(hours, timeZone, gap, 'offlineMs');
    return {
      seatId: seat.seatId,
      name: seat.name,
      scheduledMs,
      activeMs,
      idleMs,
      lockedMs,
      offlineMs,
      activeOffShiftMs: Math.max(0, of('active', presence) - activeMs),
      utilization: ratio(activeMs, scheduledMs),
      adherence: ratio(activeMs + idleMs, scheduledMs),
    };
  });
  return { seats: rows, hours };
}

/** The parts of `within` (sorted, disjoint) that no interval of `covered` (sorted, inside it) covers. */
function complement(covered: readonly Interval[], within: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const w of within) {
    let t = w.start;
    for (const c of covered) {
      if (c.end <= w.start || c.start >= w.end) continue;
      if (c.start > t) out.push({ start: t, end: c.start });
      t = Math.max(t, c.end);
    }
    if (t < w.end) out.push({ start: t, end: w.end });
  }
  return out;
}

/** The range of a report: local midnight of `date` for one or seven days. */
export function reportRange(timeZone: string, date: string, period: 'day' | 'week') {
  const days = period === 'day' ? 1 : 7;
  return { from: localMidnight(timeZone, date), to: localMidnight(timeZone, addDays(date, days)) };
}
