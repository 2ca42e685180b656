/**
 * What the machine service takes from a session part (issue #14), decided
 * without I/O. The account is the one the service read from the socket the
 * session connected to, never a name the session sent:
 *
 * - only what a desktop session collects is taken (activity, status,
 *   screenshots, the notice confirmation, collector errors); device, network,
 *   lifecycle and other machine-level events come from the service alone,
 *   and a `network` event from a session would move the account of what
 *   follows in the sequence, so it is refused;
 * - a `notice_ack` is restamped with the account and recorded for it;
 * - nothing else is taken from an account before the service holds its
 *   confirmation of the notice version in force, except the gate's own
 *   report that the notice cannot be shown to the operator (collector
 *   "notice"): it carries nothing collected, and the administrator must learn
 *   that this operator's session collects nothing.
 */
import { type Event, MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';

const FROM_SESSIONS: ReadonlySet<Event['type']> = new Set([
  'activity',
  'status',
  'capture',
  'notice_ack',
  'agent_error',
]);

export interface Intake {
  /** The events to queue, in order, as this account's. */
  readonly accepted: readonly Event[];
  /** The account's confirmed notice version after these events (0: none). */
  readonly ackedVersion: number;
  readonly refused: { readonly count: number; readonly reason: string } | null;
}

export const NOT_CONFIRMED =
  "this session's operator has not confirmed the monitoring notice in force; nothing of it is sent";
export const MACHINE_LEVEL = 'device, network and lifecycle events come from the machine service only';

export function takeSessionEvents(
  account: string,
  events: readonly Event[],
  ackedVersion: number,
  noticeVersion: number,
): Intake {
  const accepted: Event[] = [];
  let acked = ackedVersion;
  let refused = 0;
  let reason = NOT_CONFIRMED;
  for (const event of events) {
    if (!FROM_SESSIONS.has(event.type)) {
      refused += 1;
      reason = MACHINE_LEVEL;
      continue;
    }
    if (event.type === 'notice_ack') {
      // Only a confirmation of the version in force counts; an old one is kept as the record it is.
      if (event.noticeVersion === noticeVersion) acked = noticeVersion;
      accepted.push({ ...event, osUser: sanitizeText(account, MAX_STRING_LENGTHS.osUser) });
      continue;
    }
    const noticeProblem = event.type === 'agent_error' && event.collector === 'notice';
    if (acked !== noticeVersion && !noticeProblem) {
      refused += 1;
      continue;
    }
    accepted.push(event);
  }
  return { accepted, ackedVersion: acked, refused: refused > 0 ? { count: refused, reason } : null };
}

/** A screenshot is taken on the same terms as the session's events. */
export function mayTakeBlob(ackedVersion: number, noticeVersion: number): boolean {
  return ackedVersion === noticeVersion;
}
