/**
 * The operator is at the seat (at a hello, a status turned active, or a
 * desktop session started): the rules on the same OS user's other connected
 * seats, which are read only when a rule that is on wants them. The OS user
 * is the account of the event that put them there (on a shared seat, the
 * session's, issue #14); the other seats are single-user agents whose hello
 * names that account, and shared seats where that account has a desktop
 * session open.
 */
import type { Db } from '../../db/connect.js';
import type { AnomalyCandidate, EvidenceRef } from '../../domain/rules/anomaly.js';
import { normalizeOsUser, otherSeatsOf } from '../../domain/rules/concurrent-login.rule.js';
import type { RuleSettings } from '../../domain/rules/rule-catalog.js';
import { evaluateRules, listens } from '../../domain/rules/rule-dispatch.js';
import type { AgentSession } from '../../ingest/ingest-hub.js';
import { otherSeatsOfUsers, otherSessionsOfUsers, type SeatsOfUserKey } from '../rule-facts.repository.js';
import { coalesce, MAX_AGENTS_PER_STATEMENT } from './coalesced-read.js';

export type SeatActivity = (
  session: AgentSession,
  settings: RuleSettings,
  at: number,
  trigger: EvidenceRef,
  /** The OS account at the seat; the hello's when not given. */
  osUser?: string,
) => Promise<readonly AnomalyCandidate[]>;

export function createSeatActivity(db: Db): SeatActivity {
  // Asked at every hello: a turn's hellos (a connect storm's thousands) share one statement each.
  const otherSeatsOfUser = coalesce(
    (keys: readonly SeatsOfUserKey[]) => otherSeatsOfUsers(db, keys),
    MAX_AGENTS_PER_STATEMENT,
  );
  const otherSessionsOfUser = coalesce(
    (keys: readonly SeatsOfUserKey[]) => otherSessionsOfUsers(db, keys),
    MAX_AGENTS_PER_STATEMENT,
  );
  return async (session, settings, at, trigger, osUser = session.operator) => {
    // A machine service's hello names no one (issue #14): nothing to compare.
    if (!listens('seat_active', settings) || normalizeOsUser(osUser) === '') return [];
    const of = { projectId: session.projectId, agentId: session.agentId, osUser };
    const [rows, sessions] = await Promise.all([otherSeatsOfUser(of), otherSessionsOfUser(of)]);
    const others = otherSeatsOf(
      rows.map((r) => ({
        ...r,
        stateAt: r.stateAt?.getTime() ?? null,
        lastSeenAt: r.lastSeenAt?.getTime() ?? null,
      })),
      sessions.map((r) => ({
        ...r,
        startedAt: r.startedAt.getTime(),
        lastSeenAt: r.lastSeenAt?.getTime() ?? null,
      })),
    );
    return evaluateRules('seat_active', { at, osUser, others, trigger }, settings).candidates;
  };
}
