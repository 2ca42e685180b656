/**
 * off_hours: the operator was active outside the team's shift (plus a
 * grace period either side). "Active" means a status event saying so, or a
 * foreground-activity span while the seat's last state is active: a window
 * left open on an idle seat overnight is not activity. One open anomaly per
 * seat and local day.
 */
import Type from 'typebox';
import { type AnomalyCandidate, eventRef, type ObservedEvent } from './anomaly.js';
import { defineRule, found } from './rule-definition.js';
import { isInShift, localDate, type ShiftSchedule } from './shift-schedule.js';

export const offHoursRule = defineRule({
  id: 'off_hours',
  severity: 'medium',
  enabled: true,
  summary: "Activity outside the team's shift",
  config: Type.Object(
    {
      graceMs: Type.Integer({
        minimum: 0,
        maximum: 4 * 3_600_000,
        description: 'Activity this close to a shift counts as inside it',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { graceMs: 15 * 60_000 },
  on: { event: (facts, config) => found(detectOffHours(facts.observed, facts.schedule, config)) },
});

/** The instant an event shows the operator active, or null if it does not. */
function activeAt(observed: ObservedEvent): number | null {
  const { event } = observed;
  if (event.type === 'status') return event.state === 'active' ? event.time : null;
  if (event.type === 'activity') return observed.seatState === 'active' ? event.end : null;
  return null;
}

export function detectOffHours(
  observed: ObservedEvent,
  schedule: ShiftSchedule | null,
  config: { readonly graceMs: number },
): AnomalyCandidate | null {
  if (!schedule) return null;
  const at = activeAt(observed);
  if (at === null || isInShift(schedule, at, config.graceMs)) return null;
  const { event } = observed;
  const details = event.type === 'activity' ? { app: event.app, title: event.title } : {};
  return {
    rule: 'off_hours',
    key: localDate(schedule.timeZone, at),
    at,
    evidence: [eventRef(observed, details)],
  };
}
