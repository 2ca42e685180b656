/** Whether a seat is expected to be reporting: its operator was active, or its team is on shift. */
import type { SeatState } from './anomaly.js';
import { isInShift, type ShiftSchedule } from './shift-schedule.js';

export interface Presence {
  /** The seat's last reported state (null: none reported yet). */
  readonly seatState: SeatState | null;
  /** The shift schedule of the seat's team (null: the team has none, or the seat has no team). */
  readonly schedule: ShiftSchedule | null;
}

export function presenceExpected(presence: Presence, at: number): boolean {
  if (presence.seatState === 'active') return true;
  return presence.schedule !== null && isInShift(presence.schedule, at);
}
