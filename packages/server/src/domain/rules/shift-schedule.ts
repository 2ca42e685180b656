/**
 * A team's shift schedule (time zone, weekly hours, dated exceptions) and
 * the questions the rules ask of it: is this instant inside the shift, which
 * shift interval holds it, and what is the local date.
 *
 * Everything is decided on the wall clock of the schedule's time zone
 * (through Intl, which ships the IANA database), so "09:00–17:00" means
 * 09:00–17:00 local time on both sides of a daylight-saving change.
 */
import type { ShiftInterval, ShiftSchedule } from '@seatwatch/shared/dashboard-api';

// The schemas are part of the API contract (shared); the questions asked of them live here.
export {
  ShiftException,
  ShiftInterval,
  ShiftSchedule,
  WeeklyShift,
} from '@seatwatch/shared/dashboard-api';

const MINUTES_PER_DAY = 1440;
const MS_PER_MINUTE = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface WallClock {
  /** Local date, YYYY-MM-DD. */
  readonly date: string;
  /** ISO weekday, 1 Monday … 7 Sunday. */
  readonly weekday: number;
  /** Minutes since local midnight, with the seconds as a fraction. */
  readonly minute: number;
}

/**
 * UTC offsets change only at instants that are whole quarter hours in UTC
 * (every zone's offset is a multiple of 15 minutes), so one Intl lookup per
 * zone and quarter hour serves every instant in it. The rules ask this for
 * every event; Intl's formatToParts costs microseconds, the cache nothing.
 */
const QUARTER_HOUR_MS = 15 * MS_PER_MINUTE;
const MAX_CACHED_OFFSETS = 10_000;
const offsets = new Map<string, number>();

function offsetAt(timeZone: string, at: number): number {
  const bucket = Math.floor(at / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  const key = `${timeZone}|${bucket}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const parts: Record<string, string> = {};
    for (const part of formatterFor(timeZone).formatToParts(bucket)) parts[part.type] = part.value;
    const local = Date.UTC(
      Number(parts.year),
      Number(parts.month) - 1,
      Number(parts.day),
      Number(parts.hour),
      Number(parts.minute),
      Number(parts.second),
    );
    offset = local - bucket;
    if (offsets.size >= MAX_CACHED_OFFSETS) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** The local date and time of an instant in a time zone. Throws RangeError for an unknown zone. */
export function wallClock(timeZone: string, at: number): WallClock {
  const local = new Date(at + offsetAt(timeZone, at));
  const date = `${String(local.getUTCFullYear()).padStart(4, '0')}-${String(local.getUTCMonth() + 1).padStart(2, '0')}-${String(local.getUTCDate()).padStart(2, '0')}`;
  return {
    date,
    weekday: ((local.getUTCDay() + 6) % 7) + 1,
    minute:
      local.getUTCHours() * 60 +
      local.getUTCMinutes() +
      (local.getUTCSeconds() + local.getUTCMilliseconds() / 1000) / 60,
  };
}

export function localDate(timeZone: string, at: number): string {
  return wallClock(timeZone, at).date;
}

function shiftDate(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

function toMinutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** [start, end) in minutes from the local midnight of the interval's own date; may run past 1440. */
function span(interval: ShiftInterval): [number, number] {
  const start = toMinutes(interval.start);
  const end = toMinutes(interval.end);
  return [start, end > start ? end : end + MINUTES_PER_DAY];
}

function intervalsOn(schedule: ShiftSchedule, date: string, weekday: number): readonly ShiftInterval[] {
  const exception = schedule.exceptions.find((e) => e.date === date);
  if (exception) return exception.intervals;
  return schedule.weekly.filter((w) => w.day === weekday);
}

export interface ShiftWindow {
  /** The interval's start and end as instants (wall-clock arithmetic; off by the DST step on a change night). */
  readonly startedAt: number;
  readonly endsAt: number;
}

/**
 * The shift interval that holds `at`, widened by `graceMs` on both sides,
 * or null outside every shift. Intervals of the day before (past midnight)
 * and the day after (widened back across midnight) count too.
 */
export function shiftAt(schedule: ShiftSchedule, at: number, graceMs = 0): ShiftWindow | null {
  const now = wallClock(schedule.timeZone, at);
  const grace = graceMs / MS_PER_MINUTE;
  for (const offset of [0, -1, 1]) {
    const date = offset === 0 ? now.date : shiftDate(now.date, offset);
    const weekday = ((now.weekday - 1 + offset + 7) % 7) + 1;
    for (const interval of intervalsOn(schedule, date, weekday)) {
      const [start, end] = span(interval);
      const from = start + offset * MINUTES_PER_DAY - grace;
      const to = end + offset * MINUTES_PER_DAY + grace;
      if (now.minute >= from && now.minute < to) {
        return {
          startedAt: Math.round(at - (now.minute - from) * MS_PER_MINUTE),
          endsAt: Math.round(at + (to - now.minute) * MS_PER_MINUTE),
        };
      }
    }
  }
  return null;
}

export function isInShift(schedule: ShiftSchedule, at: number, graceMs = 0): boolean {
  return shiftAt(schedule, at, graceMs) !== null;
}

/** The next instant after `at` when a shift interval starts, looking a week ahead; null if none. */
export function nextShiftStart(schedule: ShiftSchedule, at: number): number | null {
  const now = wallClock(schedule.timeZone, at);
  let best: number | null = null;
  for (let offset = 0; offset <= 7; offset++) {
    const date = offset === 0 ? now.date : shiftDate(now.date, offset);
    const weekday = ((now.weekday - 1 + offset) % 7) + 1;
    for (const interval of intervalsOn(schedule, date, weekday)) {
      const start = span(interval)[0] + offset * MINUTES_PER_DAY;
      if (start > now.minute && (best === null || start < best)) best = start;
    }
    if (best !== null) break;
  }
  return best === null ? null : Math.round(at + (best - now.minute) * MS_PER_MINUTE);
}

/** How much of [from, to) lies inside the shift (ms). */
export function shiftOverlapMs(schedule: ShiftSchedule, from: number, to: number): number {
  let total = 0;
  let t = from;
  // Each step enters or leaves an interval; the bound only guards against a pathological schedule.
  for (let step = 0; t < to && step < 1000; step++) {
    const window = shiftAt(schedule, t);
    if (window) {
      const end = Math.min(window.endsAt, to);
      total += Math.max(0, end - t);
      t = Math.max(end, t + 1);
    } else {
      const next = nextShiftStart(schedule, t);
      if (next === null) break;
      t = Math.max(next, t + 1);
    }
  }
  return total;
}
