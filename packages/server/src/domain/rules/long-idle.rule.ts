/**
 * long_idle: the seat stayed idle (or locked) for longer than the threshold
 * inside the shift; only the idle time that falls inside the shift counts.
 * Raised by the engine's timer while the idle lasts, or, if that did not
 * happen (the batch arrived late), when the seat reports active again.
 * Once per idle period; one open anomaly per seat and local day.
 */
import Type from 'typebox';
import { type AnomalyCandidate, eventRef, type ObservedEvent, type SeatState } from './anomaly.js';
import { defineRule } from './rule-definition.js';
import { localDate, type ShiftSchedule, shiftOverlapMs } from './shift-schedule.js';

const LongIdleConfig = Type.Object(
  {
    thresholdMs: Type.Integer({ minimum: 60_000, maximum: 86_400_000, description: 'Default 30 minutes' }),
    states: Type.Array(Type.Union([Type.Literal('idle'), Type.Literal('locked')]), {
      minItems: 1,
      maxItems: 2,
      description: 'Seat states that count as idle',
    }),
  },
  { additionalProperties: false },
);

export const longIdleRule = defineRule<typeof LongIdleConfig, IdlePeriod | null>({
  id: 'long_idle',
  severity: 'low',
  enabled: true,
  summary: 'The seat was idle longer than the threshold inside the shift',
  config: LongIdleConfig,
  defaults: { thresholdMs: 30 * 60_000, states: ['idle', 'locked'] },
  on: {
    // A reconnect in the middle of an idle period: known from the seat's stored state, without its event.
    hello: (facts) => ({
      candidates: [],
      state:
        (facts.seatState === 'idle' || facts.seatState === 'locked') && facts.stateAt !== null
          ? { since: facts.stateAt, sinceEvent: null, flagged: false }
          : null,
    }),
    event: (facts, config, period) => {
      const step = stepLongIdle(period ?? null, facts.observed, facts.schedule, config);
      return { candidates: step.candidate ? [step.candidate] : [], state: step.period };
    },
    tick: (facts, config, period) => {
      const step = checkLongIdle(period ?? null, facts.now, facts.schedule, config);
      return { candidates: step.candidate ? [step.candidate] : [], state: step.period };
    },
  },
});

export interface LongIdleSettings {
  readonly thresholdMs: number;
  readonly states: readonly SeatState[];
}

export interface IdlePeriod {
  /** When the seat went idle (the status time minus the OS idle time it reported). */
  readonly since: number;
  /** The status event that began it; null when known only from the seat's stored state (after a reconnect). */
  readonly sinceEvent: ObservedEvent | null;
  /** Already raised for this period. */
  readonly flagged: boolean;
}

function raise(
  period: IdlePeriod,
  at: number,
  idleInShiftMs: number,
  schedule: ShiftSchedule,
): AnomalyCandidate {
  return {
    rule: 'long_idle',
    key: localDate(schedule.timeZone, period.since),
    at,
    evidence: [
      period.sinceEvent
        ? eventRef(period.sinceEvent, { idleSince: period.since, idleInShiftMs })
        : { kind: 'event', at: period.since, type: 'status', idleSince: period.since, idleInShiftMs },
    ],
  };
}

function check(
  period: IdlePeriod,
  now: number,
  schedule: ShiftSchedule | null,
  config: LongIdleSettings,
): { period: IdlePeriod; candidate: AnomalyCandidate | null } {
  // Cheap test first: the engine asks every few seconds for every idle seat.
  if (period.flagged || !schedule || now - period.since <= config.thresholdMs)
    return { period, candidate: null };
  const idleInShiftMs = shiftOverlapMs(schedule, period.since, now);
  if (idleInShiftMs <= config.thresholdMs) return { period, candidate: null };
  return { period: { ...period, flagged: true }, candidate: raise(period, now, idleInShiftMs, schedule) };
}

/** A status event: starts, keeps or ends the idle period (and checks an ending one). */
export function stepLongIdle(
  period: IdlePeriod | null,
  observed: ObservedEvent,
  schedule: ShiftSchedule | null,
  config: LongIdleSettings,
): { period: IdlePeriod | null; candidate: AnomalyCandidate | null } {
  const { event } = observed;
  if (event.type !== 'status') return { period, candidate: null };
  if (config.states.includes(event.state)) {
    if (period) return { period, candidate: null };
    return {
      period: { since: Math.max(0, event.time - event.idleMs), sinceEvent: observed, flagged: false },
      candidate: null,
    };
  }
  if (!period) return { period: null, candidate: null };
  return { period: null, candidate: check(period, event.time, schedule, config).candidate };
}

/** The timer's question: has the current idle period crossed the threshold by now? */
export function checkLongIdle(
  period: IdlePeriod | null,
  now: number,
  schedule: ShiftSchedule | null,
  config: LongIdleSettings,
): { period: IdlePeriod | null; candidate: AnomalyCandidate | null } {
  if (!period) return { period, candidate: null };
  return check(period, now, schedule, config);
}
