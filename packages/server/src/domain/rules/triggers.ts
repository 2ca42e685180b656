/**
 * What a rule can be asked about: the trigger kinds, and the facts the
 * engine observed for each. Everything here is data the engine already
 * holds or read for the occasion; a rule only looks at it.
 */

import type { ConnectionLost, NotBack, SilenceCheck } from './agent-silent.rule.js';
import type { ObservedEvent, SeatState } from './anomaly.js';
import type { ConcurrentLoginInput } from './concurrent-login.rule.js';
import type { IpChangedInput } from './ip-changed.rule.js';
import type { RefusedAccess } from './ip-not-allowed.rule.js';
import type { ShiftSchedule } from './shift-schedule.js';
import type { TamperSignal } from './tamper.rule.js';

export interface TriggerFacts {
  /** One stored event of a connected agent, in the order the agent sent them. */
  readonly event: EventFacts;
  /** An accepted hello: the agent (re)connected. */
  readonly hello: HelloFacts;
  /** The seat's operator is active (at the hello, or a status turned active), with the OS user's other seats. */
  readonly seat_active: ConcurrentLoginInput;
  /** A connection closed and no reconnect decided otherwise within the grace period. */
  readonly closed: ClosedFacts;
  /** The engine's timer, for each connected agent. */
  readonly tick: TickFacts;
  /** After a collector restart, an agent seen shortly before it did not come back. */
  readonly not_back: NotBack;
  /** Refused hellos and frames, and sequence gaps, that point at tampering. */
  readonly tamper_signal: TamperSignal;
  /** An enrollment or a hello from outside the project's allowlist. */
  readonly refused_access: RefusedAccess;
}

export type TriggerKind = keyof TriggerFacts;

export interface EventFacts {
  readonly observed: ObservedEvent;
  readonly schedule: ShiftSchedule | null;
  /** Whether the event's stored screenshot is blank; null when not known (no image, or no rule looks). */
  readonly blank: boolean | null;
}

export interface HelloFacts extends IpChangedInput {
  /** hello.time minus the server's clock when the hello arrived. */
  readonly skewMs: number;
  /** The seat's stored state, and since when (ms), from before this connection. */
  readonly seatState: SeatState | null;
  readonly stateAt: number | null;
}

export interface ClosedFacts extends ConnectionLost {
  /** The lifecycle "stopping" event of the session, if one arrived before the close. */
  readonly stopping: ObservedEvent | null;
}

export interface TickFacts extends SilenceCheck {
  readonly schedule: ShiftSchedule | null;
  /** A silence of this connection is already open: it is raised once, until frames arrive again. */
  readonly silenceRaised: boolean;
}
