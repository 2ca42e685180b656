/** The report arithmetic (reports/utilization.ts), pure: ranges, shift intervals, presence and per-hour credit. */
import type { ShiftSchedule } from '@seatwatch/shared/dashboard-api';
import { describe, expect, it } from 'vitest';
import {
  intersect,
  localMidnight,
  presenceIntervals,
  reportRange,
  shiftIntervals,
  utilization,
} from '../../src/reports/utilization.js';

const HOUR = 3_600_000;
const utc = (text: string) => Date.parse(`${text}Z`);

describe('report ranges', () => {
  it('start at local midnight, and a day across a DST change is 23 or 25 hours long', () => {
    expect(localMidnight('Europe/Berlin', '2026-11-03')).toBe(utc('2026-11-02T23:00:00'));
    expect(localMidnight('America/New_York', '2026-07-01')).toBe(utc('2026-07-01T04:00:00'));
    expect(localMidnight('UTC', '2026-07-01')).toBe(utc('2026-07-01T00:00:00'));
    const spring = reportRange('Europe/Berlin', '2026-03-29', 'day');
    expect(spring.to - spring.from).toBe(23 * HOUR);
    const autumn = reportRange('Europe/Berlin', '2026-10-25', 'day');
    expect(autumn.to - autumn.from).toBe(25 * HOUR);
    const week = reportRange('Asia/Kolkata', '2026-11-02', 'week');
    expect(week.from).toBe(utc('2026-11-01T18:30:00'));
    expect(week.to - week.from).toBe(7 * 24 * HOUR);
  });
});

describe('shift intervals', () => {
  const night: ShiftSchedule = {
    timeZone: 'UTC',
    weekly: [{ day: 2, start: '22:00', end: '06:00' }],
    exceptions: [{ date: '2026-11-10', intervals: [] }],
  };

  it('follow a night shift past midnight and skip a holiday', () => {
    // Tuesday 2026-11-03 22:00 to Wednesday 06:00; Tuesday 2026-11-10 is a holiday.
    expect(shiftIntervals(night, utc('2026-11-03T00:00:00'), utc('2026-11-04T12:00:00'))).toEqual([
      { start: utc('2026-11-03T22:00:00'), end: utc('2026-11-04T06:00:00') },
    ]);
    expect(shiftIntervals(night, utc('2026-11-10T00:00:00'), utc('2026-11-11T12:00:00'))).toEqual([]);
    // A range that starts inside the shift starts the interval there.
    expect(shiftIntervals(night, utc('2026-11-04T02:00:00'), utc('2026-11-04T12:00:00'))).toEqual([
      { start: utc('2026-11-04T02:00:00'), end: utc('2026-11-04T06:00:00') },
    ]);
  });

  it('is the whole range without a schedule', () => {
    expect(shiftIntervals(null, 10, 20)).toEqual([{ start: 10, end: 20 }]);
  });
});

describe('presence', () => {
  it('holds each state until the next mark, stops at a clean stop, and is cut to the range', () => {
    const marks = [
      { time: 0, state: 'active' as const },
      { time: 50, state: 'idle' as const },
      { time: 70, state: null },
      { time: 90, state: 'locked' as const },
    ];
    expect(presenceIntervals(marks, 10, 100)).toEqual([
      { start: 10, end: 50, state: 'active' },
      { start: 50, end: 70, state: 'idle' },
      { start: 90, end: 100, state: 'locked' },
    ]);
    expect(intersect(presenceIntervals(marks, 10, 100), [{ start: 40, end: 95 }])).toEqual([
      { start: 40, end: 50, state: 'active' },
      { start: 50, end: 70, state: 'idle' },
      { start: 90, end: 95, state: 'locked' },
    ]);
  });

  it('credits hours of the local day, and counts offline shift time per hour', () => {
    const schedule: ShiftSchedule = {
      timeZone: 'Asia/Kolkata',
      weekly: [{ day: 3, start: '09:00', end: '10:00' }],
      exceptions: [],
    };
    const { from, to } = reportRange('Asia/Kolkata', '2026-11-04', 'day');
    // Active 09:00–09:15 local (03:30–03:45 UTC), then nothing: 45 minutes offline in the shift.
    const result = utilization(
      [
        {
          seatId: 's',
          name: 'desk',
          marks: [
            { time: utc('2026-11-04T03:30:00'), state: 'active' },
            { time: utc('2026-11-04T03:45:00'), state: null },
          ],
        },
      ],
      schedule,
      'Asia/Kolkata',
      from,
      to,
    );
    expect(result.seats[0]).toMatchObject({
      scheduledMs: HOUR,
      activeMs: 0.25 * HOUR,
      offlineMs: 0.75 * HOUR,
      utilization: 0.25,
      adherence: 0.25,
    });
    expect(result.hours[9]).toEqual({
      hour: 9,
      activeMs: 0.25 * HOUR,
      idleMs: 0,
      lockedMs: 0,
      offlineMs: 0.75 * HOUR,
    });
    expect(result.hours.filter((h) => h.hour !== 9).every((h) => h.activeMs + h.offlineMs === 0)).toBe(true);
  });
});
