import type { LifecycleEvent } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';
import {
  detectConnectionLost,
  detectSilence,
  silenceThresholdMs,
} from '../../../src/domain/rules/agent-silent.rule.js';
import { detectAgentStopped } from '../../../src/domain/rules/agent-stopped.rule.js';
import { checkLongIdle, stepLongIdle } from '../../../src/domain/rules/long-idle.rule.js';
import { detectOffHours } from '../../../src/domain/rules/off-hours.rule.js';
import type { ShiftSchedule } from '../../../src/domain/rules/shift-schedule.js';
import { observed } from './observed.js';

const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;
// Monday to Friday, 09:00–17:00 UTC.
const shift: ShiftSchedule = {
  timeZone: 'UTC',
  weekly: [1, 2, 3, 4, 5].map((day) => ({ day, start: '09:00', end: '17:00' })),
  exceptions: [],
};
const monday = (hhmm: string) => at(`2026-03-02T${hhmm}:00Z`);

describe('agent_silent', () => {
  const lost = { session: 's1', loginId: 7, closeCode: 1006, lastFrameAt: monday('10:00') };

  it('flags a connection lost inside the shift, or while the seat was active', () => {
    expect(
      detectConnectionLost({
        ...lost,
        at: monday('10:01'),
        presence: { seatState: 'idle', schedule: shift },
      }),
    ).toMatchObject({
      rule: 'agent_silent',
      key: '',
      evidence: [{ cause: 'connection_lost', closeCode: 1006 }],
    });
    expect(
      detectConnectionLost({
        ...lost,
        at: monday('20:00'),
        presence: { seatState: 'active', schedule: null },
      }),
    ).not.toBeNull();
  });

  it('does not flag a lost connection of a locked seat outside the shift', () => {
    expect(
      detectConnectionLost({
        ...lost,
        at: monday('20:00'),
        presence: { seatState: 'locked', schedule: shift },
      }),
    ).toBeNull();
  });

  it('flags an active seat silent for longer than 3 heartbeats, not at 3 heartbeats', () => {
    const config = { heartbeatMultiplier: 3, silenceMs: null };
    const check = { session: 's1', loginId: 7, lastHeardAt: monday('10:00'), heartbeatMs: 15_000 };
    const seatState = 'active' as const;
    expect(silenceThresholdMs(15_000, config)).toBe(45_000);
    expect(detectSilence({ ...check, now: monday('10:00') + 45_000, seatState }, config)).toBeNull();
    expect(detectSilence({ ...check, now: monday('10:00') + 45_001, seatState }, config)).toMatchObject({
      evidence: [{ cause: 'no_frames', silentForMs: 45_001, thresholdMs: 45_000 }],
    });
    expect(
      detectSilence({ ...check, now: monday('10:00') + 50_000, seatState }, { ...config, silenceMs: 60_000 }),
    ).toBeNull();
  });

  it('does not call a locked seat silent: it has nothing to report', () => {
    const config = { heartbeatMultiplier: 3, silenceMs: null };
    const check = { session: 's1', loginId: 7, lastHeardAt: monday('10:00'), heartbeatMs: 15_000 };
    expect(detectSilence({ ...check, now: monday('11:00'), seatState: 'locked' }, config)).toBeNull();
    expect(detectSilence({ ...check, now: monday('11:00'), seatState: null }, config)).toBeNull();
  });
});

describe('agent_stopped', () => {
  const stopping = (time: number, reason: LifecycleEvent['reason'] = 'service_stop') =>
    observed({
      type: 'lifecycle',
      time,
      phase: 'stopping',
      reason,
      detail: 'stopped by user',
      agentVersion: '1.0.0',
    });
  const config = { ignoreReasons: ['revoked'] };

  it('flags a clean stop inside the shift', () => {
    expect(detectAgentStopped(stopping(monday('11:00')), shift, config)).toMatchObject({
      rule: 'agent_stopped',
      evidence: [{ reason: 'service_stop', detail: 'stopped by user' }],
    });
  });

  it('does not flag a stop after the shift, without a schedule, or for an ignored reason', () => {
    expect(detectAgentStopped(stopping(monday('17:30')), shift, config)).toBeNull();
    expect(detectAgentStopped(stopping(monday('11:00')), null, config)).toBeNull();
    expect(detectAgentStopped(stopping(monday('11:00'), 'revoked'), shift, config)).toBeNull();
  });
});

describe('off_hours', () => {
  const config = { graceMs: 15 * MIN };
  const span = (start: number, end: number, state: 'active' | 'idle' = 'active') =>
    observed({ type: 'activity', time: start, end, app: 'chrome', title: 'Mail' }, state);

  it('flags activity outside the shift and keys it by local date', () => {
    expect(detectOffHours(span(monday('19:00'), monday('19:05')), shift, config)).toMatchObject({
      rule: 'off_hours',
      key: '2026-03-02',
      evidence: [{ app: 'chrome', title: 'Mail' }],
    });
    const status = observed({ type: 'status', time: monday('06:00'), state: 'active', idleMs: 0 });
    expect(detectOffHours(status, shift, config)).not.toBeNull();
  });

  it('does not flag activity within the grace period, on an idle seat, or without a schedule', () => {
    expect(detectOffHours(span(monday('16:50'), monday('17:10')), shift, config)).toBeNull();
    expect(detectOffHours(span(monday('19:00'), monday('19:05'), 'idle'), shift, config)).toBeNull();
    expect(detectOffHours(span(monday('19:00'), monday('19:05')), null, config)).toBeNull();
  });
});

describe('long_idle', () => {
  const config = { thresholdMs: 30 * MIN, states: ['idle', 'locked'] as const };
  const status = (time: number, state: 'active' | 'idle' | 'locked', idleMs = 0) =>
    observed({ type: 'status', time, state, idleMs }, state);

  it('is raised by the timer once idle time inside the shift passes the threshold', () => {
    // Idle since 10:00 (reported at 10:03 with 3 minutes of OS idle time).
    const start = stepLongIdle(null, status(monday('10:03'), 'idle', 3 * MIN), shift, config);
    expect(start.period?.since).toBe(monday('10:00'));
    expect(checkLongIdle(start.period, monday('10:30'), shift, config).candidate).toBeNull();
    const raised = checkLongIdle(start.period, monday('10:30') + 1, shift, config);
    expect(raised.candidate).toMatchObject({ rule: 'long_idle', key: '2026-03-02' });
    expect(checkLongIdle(raised.period, monday('11:00'), shift, config).candidate).toBeNull();
  });

  it('counts only the idle time inside the shift', () => {
    // Idle from 08:45: by 09:29 only 29 minutes fall inside the shift.
    const start = stepLongIdle(null, status(monday('08:45'), 'locked'), shift, config);
    expect(checkLongIdle(start.period, monday('09:29'), shift, config).candidate).toBeNull();
    expect(checkLongIdle(start.period, monday('09:31'), shift, config).candidate).not.toBeNull();
    expect(checkLongIdle(start.period, monday('18:00'), null, config).candidate).toBeNull();
  });

  it('is raised late when the seat reports active again after a long idle the timer missed', () => {
    const start = stepLongIdle(null, status(monday('13:00'), 'idle'), shift, config);
    const locked = stepLongIdle(start.period, status(monday('13:10'), 'locked'), shift, config);
    expect(locked.period).toBe(start.period);
    expect(stepLongIdle(locked.period, status(monday('14:00'), 'active'), shift, config)).toMatchObject({
      period: null,
      candidate: { rule: 'long_idle' },
    });
    // A short break is no anomaly.
    const short = stepLongIdle(null, status(monday('15:00'), 'idle'), shift, config);
    expect(stepLongIdle(short.period, status(monday('15:20'), 'active'), shift, config).candidate).toBeNull();
  });
});
