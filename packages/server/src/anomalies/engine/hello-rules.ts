/**
 * An accepted hello: the agent's policy heartbeat, the seat's stored
 * state and the agent's previous hello, then the rules on the hello and on
 * the operator being at the seat.
 */
import type { Db } from '../../db/connect.js';
import { evaluateRules } from '../../domain/rules/rule-dispatch.js';
import { storedSeats } from '../rule-facts.repository.js';
import type { AnomalyRaiser } from './anomaly-raiser.js';
import { coalesce, MAX_AGENTS_PER_STATEMENT } from './coalesced-read.js';
import { contextOf, type LiveAgent } from './connections.js';
import type { HeartbeatLookup } from './heartbeats.js';
import type { SeatActivity } from './seat-activity.js';
import type { AnomalySettings } from './settings-cache.js';

export function createHelloRules(deps: {
  db: Db;
  settings: AnomalySettings;
  heartbeatMs: HeartbeatLookup;
  seatActive: SeatActivity;
  raiser: AnomalyRaiser;
}): (agent: LiveAgent) => Promise<void> {
  // The hellos of a turn (a connect storm's thousands) read their seats in one statement.
  const storedSeat = coalesce(
    (agentIds: readonly string[]) => storedSeats(deps.db, agentIds),
    MAX_AGENTS_PER_STATEMENT,
  );
  return async (agent) => {
    const session = await deps.settings.placed(agent.session);
    const [settings, schedule, heartbeatMs, stored] = await Promise.all([
      deps.settings.rules(session.projectId),
      deps.settings.schedule(session.teamId),
      deps.heartbeatMs(session.projectId, session.siteId),
      storedSeat(session.agentId),
    ]);
    agent.heartbeatMs = heartbeatMs;
    agent.seatState = stored?.state ?? null;
    const hellos = stored?.hellos ?? [];
    const current = hellos.find((l) => l.session === session.session) ?? null;
    const previous = hellos.find((l) => l !== current) ?? null;
    agent.loginId = current?.id ?? null;

    const at = session.connectedAt;
    const hello = evaluateRules(
      'hello',
      {
        current: { ip: session.ip, at, loginId: agent.loginId },
        previous: previous ? { ip: previous.ip, at: previous.at, loginId: previous.id } : null,
        timeZone: schedule?.timeZone ?? 'UTC',
        skewMs: session.clockSkewMs,
        seatState: agent.seatState,
        stateAt: stored?.stateAt?.getTime() ?? null,
      },
      settings,
      agent.rules,
    );
    agent.rules = hello.states;
    const login = { kind: 'login' as const, ...(agent.loginId === null ? {} : { id: agent.loginId }), at };
    const active = await deps.seatActive(session, settings, at, login);
    await deps.raiser.raise(contextOf(session), [...hello.candidates, ...active]);
  };
}
