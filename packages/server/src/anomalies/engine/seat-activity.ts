/**
 * The operator is at the seat (at a hello, or a status turned active):
 * the rules on the same OS user's other connected seats, which are read
 * only when a rule that is on wants them.
 */
import type { Db } from '../../db/connect.js';
import type { AnomalyCandidate, EvidenceRef } from '../../domain/rules/anomaly.js';
import type { RuleSettings } from '../../domain/rules/rule-catalog.js';
import { evaluateRules, listens } from '../../domain/rules/rule-dispatch.js';
import type { AgentSession } from '../../ingest/ingest-hub.js';
import { otherSeatsOfUser } from '../rule-facts.repository.js';

export type SeatActivity = (
  session: AgentSession,
  settings: RuleSettings,
  at: number,
  trigger: EvidenceRef,
) => Promise<readonly AnomalyCandidate[]>;

export function createSeatActivity(db: Db): SeatActivity {
  return async (session, settings, at, trigger) => {
    if (!listens('seat_active', settings)) return [];
    const rows = await otherSeatsOfUser(db, {
      projectId: session.projectId,
      agentId: session.agentId,
      osUser: session.operator,
    });
    const others = rows.map((r) => ({
      agentId: r.agentId,
      seatId: r.seatId,
      osUser: r.osUser,
      lastActiveAt:
        r.state === 'active' || r.stateAt === null ? (r.lastSeenAt?.getTime() ?? 0) : r.stateAt.getTime(),
    }));
    return evaluateRules('seat_active', { at, osUser: session.operator, others, trigger }, settings)
      .candidates;
  };
}
