/**
 * concurrent_login: the same OS user is active on two seats at once (a
 * shared or stolen account). Compared case-insensitively; shared service
 * accounts can be ignored by name. The account is the one of the event that
 * put the operator at the seat: the hello's on a single-user seat, the
 * desktop session's on a shared one (issue #14), so two operators taking
 * turns at one shared seat never clash, and one moving to another seat at a
 * shift change does not once the first session has ended.
 */
import Type from 'typebox';
import { type AnomalyCandidate, boundedKey, type EvidenceRef } from './anomaly.js';
import { defineRule, found } from './rule-definition.js';

export const concurrentLoginRule = defineRule({
  id: 'concurrent_login',
  severity: 'high',
  enabled: true,
  summary: 'The same OS user is active on two seats at once',
  config: Type.Object(
    {
      windowMs: Type.Integer({
        minimum: 10_000,
        maximum: 86_400_000,
        description: 'The other seat counts as active if it was active this recently',
      }),
      ignoreUsers: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 200,
        description: 'OS users never reported (shared kiosk or service accounts)',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { windowMs: 5 * 60_000, ignoreUsers: [] },
  on: { seat_active: (facts, config) => found(detectConcurrentLogin(facts, config)) },
});

export function normalizeOsUser(osUser: string): string {
  return osUser.trim().toLowerCase();
}

export interface OtherSeat {
  readonly agentId: string;
  readonly seatId: string | null;
  readonly osUser: string;
  /** When the other seat was last known active (now, if it is active now). */
  readonly lastActiveAt: number;
}

/** A single-user seat of the same account: its agent's state decides how recently it was active. */
export interface SingleUserSeatFacts {
  readonly agentId: string;
  readonly seatId: string | null;
  readonly osUser: string;
  readonly state: 'active' | 'idle' | 'locked' | null;
  readonly stateAt: number | null;
  readonly lastSeenAt: number | null;
}

/** A shared seat where the same account has a desktop session open (issue #14). */
export interface OpenSessionFacts {
  readonly agentId: string;
  readonly seatId: string | null;
  readonly osUser: string;
  readonly startedAt: number;
  readonly lastSeenAt: number | null;
}

/**
 * Where else the account is: a single-user seat is active until its state says otherwise (then as of
 * that state's time); a desktop session open on a connected shared seat is the account there now,
 * whatever the state of another session on that computer, until the service tells its end.
 */
export function otherSeatsOf(
  singleUser: readonly SingleUserSeatFacts[],
  sessions: readonly OpenSessionFacts[],
): OtherSeat[] {
  return [
    ...singleUser.map((r) => ({
      agentId: r.agentId,
      seatId: r.seatId,
      osUser: r.osUser,
      lastActiveAt: r.state === 'active' || r.stateAt === null ? (r.lastSeenAt ?? 0) : r.stateAt,
    })),
    ...sessions.map((r) => ({
      agentId: r.agentId,
      seatId: r.seatId,
      osUser: r.osUser,
      lastActiveAt: Math.max(r.startedAt, r.lastSeenAt ?? 0),
    })),
  ];
}

export interface ConcurrentLoginInput {
  readonly at: number;
  readonly osUser: string;
  /** Connected agents of the same project other than this one. */
  readonly others: readonly OtherSeat[];
  /** What raised the check on this seat: its login record, or the event that showed it active. */
  readonly trigger: EvidenceRef;
}

export function detectConcurrentLogin(
  input: ConcurrentLoginInput,
  config: { readonly windowMs: number; readonly ignoreUsers: readonly string[] },
): AnomalyCandidate | null {
  const user = normalizeOsUser(input.osUser);
  if (user === '' || config.ignoreUsers.some((u) => normalizeOsUser(u) === user)) return null;
  const clashes = input.others.filter(
    (o) => normalizeOsUser(o.osUser) === user && input.at - o.lastActiveAt <= config.windowMs,
  );
  if (clashes.length === 0) return null;
  return {
    rule: 'concurrent_login',
    key: boundedKey(user),
    at: input.at,
    evidence: [
      { ...input.trigger, osUser: input.osUser },
      ...clashes.map(
        (o): EvidenceRef => ({
          kind: 'login',
          at: o.lastActiveAt,
          otherAgentId: o.agentId,
          otherSeatId: o.seatId,
        }),
      ),
    ],
  };
}
