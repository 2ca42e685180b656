import { describe, expect, it } from 'vitest';
import {
  isInShift,
  isValidTimeZone,
  localDate,
  nextShiftStart,
  type ShiftSchedule,
  shiftAt,
  shiftOverlapMs,
  wallClock,
} from '../../../src/domain/rules/shift-schedule.js';

const weekdays = (start: string, end: string) => [1, 2, 3, 4, 5].map((day) => ({ day, start, end }));
const berlin: ShiftSchedule = {
  timeZone: 'Europe/Berlin',
  weekly: weekdays('09:00', '17:00'),
  exceptions: [],
};
const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;

describe('wall clock in a time zone', () => {
  it('gives the local date, ISO weekday and minute', () => {
    // 2026-03-02 is a Monday; Berlin is UTC+1 in winter.
    expect(wallClock('Europe/Berlin', at('2026-03-02T08:30:30Z'))).toEqual({
      date: '2026-03-02',
      weekday: 1,
      minute: 9 * 60 + 30 + 0.5,
    });
    expect(localDate('America/New_York', at('2026-03-03T03:00:00Z'))).toBe('2026-03-02');
  });

  it('agrees with Intl at every instant, in zones with half-hour and 45-minute offsets and DST steps', () => {
    const zones = [
      'Europe/Berlin',
      'America/St_Johns',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'Pacific/Chatham',
    ];
    const start = Date.parse('2026-01-01T00:00:00Z');
    const year = 365 * 86_400_000;
    const reference = (timeZone: string, at: number) => {
      const parts: Record<string, string> = {};
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
      });
      for (const part of format.formatToParts(at)) parts[part.type] = part.value;
      return `${parts.year}-${parts.month}-${parts.day} ${Number(parts.hour) * 60 + Number(parts.minute)}`;
    };
    // A fixed pseudo-random walk through the year, plus the minutes around each zone's DST steps.
    let x = 12345;
    const instants: number[] = [];
    for (let i = 0; i < 3000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      instants.push(start + Math.floor((x / 2 ** 31) * year));
    }
    for (const iso of [
      '2026-04-05T14:45:00Z',
      '2026-10-03T15:30:00Z',
      '2026-03-29T00:59:00Z',
      '2026-03-08T05:29:00Z',
    ]) {
      for (let m = 0; m < 120; m++) instants.push(Date.parse(iso) + m * 60_000);
    }
    for (const zone of zones) {
      for (const at of instants) {
        const wall = wallClock(zone, at);
        expect(`${wall.date} ${Math.floor(wall.minute)}`).toBe(reference(zone, at));
      }
    }
  });

  it('knows which zones exist', () => {
    expect(isValidTimeZone('Asia/Kolkata')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});

describe('shift membership', () => {
  it('is inside 09:00–17:00 local on a weekday and outside at the edges', () => {
    expect(isInShift(berlin, at('2026-03-02T08:00:00Z'))).toBe(true); // 09:00 local
    expect(isInShift(berlin, at('2026-03-02T07:59:59Z'))).toBe(false); // 08:59:59
    expect(isInShift(berlin, at('2026-03-02T16:00:00Z'))).toBe(false); // 17:00, end exclusive
    expect(isInShift(berlin, at('2026-03-07T10:00:00Z'))).toBe(false); // Saturday
  });

  it('follows daylight saving time on the wall clock', () => {
    // After 2026-03-29 Berlin is UTC+2: 09:00 local is 07:00Z.
    expect(isInShift(berlin, at('2026-03-30T07:00:00Z'))).toBe(true);
    expect(isInShift(berlin, at('2026-03-30T06:59:00Z'))).toBe(false);
  });

  it('widens each interval by the grace period', () => {
    expect(isInShift(berlin, at('2026-03-02T07:50:00Z'), 15 * MIN)).toBe(true);
    expect(isInShift(berlin, at('2026-03-02T07:40:00Z'), 15 * MIN)).toBe(false);
    expect(isInShift(berlin, at('2026-03-02T16:14:00Z'), 15 * MIN)).toBe(true);
  });

  it('runs a night shift past midnight into the next day', () => {
    const night: ShiftSchedule = {
      timeZone: 'UTC',
      weekly: [{ day: 5, start: '22:00', end: '06:00' }],
      exceptions: [],
    };
    expect(isInShift(night, at('2026-03-06T23:00:00Z'))).toBe(true); // Friday 23:00
    expect(isInShift(night, at('2026-03-07T05:59:00Z'))).toBe(true); // Saturday 05:59, Friday's shift
    expect(isInShift(night, at('2026-03-07T06:00:00Z'))).toBe(false);
    expect(isInShift(night, at('2026-03-07T23:00:00Z'))).toBe(false); // no Saturday shift
  });

  it('lets an exception replace the weekly hours of its date', () => {
    const schedule: ShiftSchedule = {
      ...berlin,
      exceptions: [
        { date: '2026-03-02', intervals: [], note: 'holiday' },
        { date: '2026-03-07', intervals: [{ start: '10:00', end: '12:00' }] },
      ],
    };
    expect(isInShift(schedule, at('2026-03-02T10:00:00Z'))).toBe(false);
    expect(isInShift(schedule, at('2026-03-07T10:00:00Z'))).toBe(true); // Saturday 11:00 local
  });

  it('reports the interval that holds an instant', () => {
    expect(shiftAt(berlin, at('2026-03-02T10:00:00Z'))).toEqual({
      startedAt: at('2026-03-02T08:00:00Z'),
      endsAt: at('2026-03-02T16:00:00Z'),
    });
  });
});

describe('time inside the shift', () => {
  it('finds the next shift start across a weekend', () => {
    expect(nextShiftStart(berlin, at('2026-03-06T18:00:00Z'))).toBe(at('2026-03-09T08:00:00Z'));
  });

  it('counts only the part of a span that lies inside shifts', () => {
    // Monday 07:00Z–Tuesday 10:00Z: Monday 08–16 (8 h) and Tuesday 08–10 (2 h).
    expect(shiftOverlapMs(berlin, at('2026-03-02T07:00:00Z'), at('2026-03-03T10:00:00Z'))).toBe(
      10 * 60 * MIN,
    );
    expect(shiftOverlapMs(berlin, at('2026-03-07T00:00:00Z'), at('2026-03-08T23:00:00Z'))).toBe(0);
  });
});
