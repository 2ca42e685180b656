/**
 * agent_stopped: the agent stopped cleanly (a signed lifecycle "stopping"
 * event) during its team's shift. Lower severity than agent_silent: the
 * agent said why; someone still stopped monitoring on a working seat.
 */
import { isDesktopSessionLifecycle } from '@seatwatch/shared';
import Type from 'typebox';
import { type AnomalyCandidate, eventRef, type ObservedEvent } from './anomaly.js';
import { defineRule, found } from './rule-definition.js';
import { isInShift, type ShiftSchedule } from './shift-schedule.js';

const StopReason = Type.Union([
  Type.Literal('start'),
  Type.Literal('signal'),
  Type.Literal('service_stop'),
  Type.Literal('logoff'),
  Type.Literal('shutdown'),
  Type.Literal('unenroll'),
  Type.Literal('revoked'),
  Type.Literal('error'),
]);

export const agentStoppedRule = defineRule({
  id: 'agent_stopped',
  severity: 'medium',
  enabled: true,
  summary: 'The agent was stopped cleanly during the shift',
  config: Type.Object(
    {
      ignoreReasons: Type.Array(StopReason, {
        maxItems: 8,
        description: 'Stop reasons that are never flagged (revoked: an administrator did it)',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { ignoreReasons: ['revoked'] },
  on: {
    closed: (facts, config) =>
      found(facts.stopping ? detectAgentStopped(facts.stopping, facts.presence.schedule, config) : null),
  },
});

export function detectAgentStopped(
  stopping: ObservedEvent,
  schedule: ShiftSchedule | null,
  config: { readonly ignoreReasons: readonly string[] },
): AnomalyCandidate | null {
  const { event } = stopping;
  // A desktop session's end on a shared seat (issue #14) is an operator logging off, not the agent stopping.
  if (event.type !== 'lifecycle' || event.phase !== 'stopping' || isDesktopSessionLifecycle(event))
    return null;
  if (config.ignoreReasons.includes(event.reason)) return null;
  if (!schedule || !isInShift(schedule, event.time)) return null;
  return {
    rule: 'agent_stopped',
    key: '',
    at: event.time,
    evidence: [eventRef(stopping, { reason: event.reason, detail: event.detail })],
  };
}
