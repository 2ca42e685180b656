import { describe, expect, it } from 'vitest';
import { cidrProblem } from '../src/admin/cidr.js';
import { appTotals, awayPeriods, place } from '../src/seat/timeline.js';

describe('day strip', () => {
  it('places spans as percentages of the window and clips them', () => {
    expect(place(25, 50, 0, 100)).toEqual({ left: 25, width: 25 });
    expect(place(-50, 10, 0, 100)).toEqual({ left: 0, width: 10 });
    expect(place(120, 130, 0, 100)).toBeNull();
  });

  it('adds up time per application inside the window, largest first', () => {
    const spans = [
      { start: 0, end: 10, app: 'crm', title: '' },
      { start: 10, end: 40, app: 'mail', title: '' },
      { start: 40, end: 60, app: 'crm', title: '' },
      { start: -20, end: 5, app: 'mail', title: '' },
    ];
    expect(appTotals(spans, 0, 100)).toEqual([
      { app: 'mail', ms: 35 },
      { app: 'crm', ms: 30 },
    ]);
  });

  it('turns state changes into idle and locked periods', () => {
    const states = [
      { time: 30, state: 'idle' as const },
      { time: 10, state: 'active' as const },
      { time: 50, state: 'locked' as const },
      { time: 70, state: 'active' as const },
      { time: 90, state: 'idle' as const },
    ];
    expect(awayPeriods(states, 100)).toEqual([
      { state: 'idle', start: 30, end: 50 },
      { state: 'locked', start: 50, end: 70 },
      { state: 'idle', start: 90, end: 100 },
    ]);
  });
});

describe('cidrProblem', () => {
  it('accepts IPv4 and IPv6 networks and single addresses', () => {
    for (const ok of ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '127.0.0.1/32']) {
      expect({ ok, problem: cidrProblem(ok) }).toEqual({ ok, problem: null });
    }
  });

  it('names what is wrong', () => {
    expect(cidrProblem('10.0.0.0/33')).toBe('access.cidrPrefix');
    expect(cidrProblem('2001:db8::/129')).toBe('access.cidrPrefix');
    expect(cidrProblem('300.1.1.1/8')).toBe('access.cidrInvalid');
    expect(cidrProblem('not an ip')).toBe('access.cidrInvalid');
    expect(cidrProblem('10.0.0.0/8/8')).toBe('access.cidrInvalid');
  });
});
