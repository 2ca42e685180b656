/**
 * The agents whose connection this process holds, and the connections that
 * closed and wait closeGraceMs for the stop event still in flight before
 * they count as closed for good. State per agent lives here only while this
 * process holds the agent's connection (an agent is connected to one process
 * at a time); everything that must survive is in the database.
 */
import type { ObservedEvent, SeatState } from '../../domain/rules/anomaly.js';
import type { RuleStates } from '../../domain/rules/rule-dispatch.js';
import type { AnomalyContext } from '../../ingest/anomaly-port.js';
import type { AgentSession, SessionClose } from '../../ingest/ingest-hub.js';
import type { Scheduler } from './scheduler.js';

/** What the engine knows about an agent while this process holds its connection. */
export interface LiveAgent {
  readonly session: AgentSession;
  loginId: number | null;
  lastFrameAt: number;
  seatState: SeatState | null;
  /** Each OS account's latest state on this connection (a shared seat has one per desktop session, issue #14). */
  accountStates: Map<string, SeatState>;
  heartbeatMs: number;
  /** The lifecycle "stopping" event of this session, if one arrived. */
  stopping: ObservedEvent | null;
  silenceRaised: boolean;
  /** The rules' own state for this connection (an idle period, capture streaks). */
  rules: RuleStates;
}

export function contextOf(session: AgentSession): AnomalyContext {
  return {
    projectId: session.projectId,
    siteId: session.siteId,
    teamId: session.teamId,
    seatId: session.seatId,
    agentId: session.agentId,
    operator: session.operator,
  };
}

export interface Connections {
  /** A new connection; a close of the agent's previous one still waiting is decided first. */
  opened(session: AgentSession): LiveAgent;
  /** A close not made by the server is decided after the grace period. */
  closed(session: AgentSession, close: SessionClose): void;
  /** The agent of an open connection, or of one still in its grace period. */
  find(session: AgentSession): LiveAgent | null;
  live(): LiveAgent[];
  clear(): void;
}

export function createConnections(deps: {
  scheduler: Scheduler;
  closeGraceMs: number;
  closedForGood: (agent: LiveAgent, close: SessionClose) => void;
}): Connections {
  const live = new Map<string, LiveAgent>();
  /** Connections that closed and wait for closeGraceMs, by session. */
  const closing = new Map<string, { agent: LiveAgent; decide: () => void; cancel: () => void }>();

  const find = (session: AgentSession): LiveAgent | null => {
    const open = live.get(session.agentId);
    if (open && open.session.session === session.session) return open;
    return closing.get(session.session)?.agent ?? null;
  };

  return {
    opened(session) {
      const agent: LiveAgent = {
        session,
        loginId: null,
        lastFrameAt: session.connectedAt,
        seatState: null,
        accountStates: new Map(),
        heartbeatMs: 15_000,
        stopping: null,
        silenceRaised: false,
        rules: {},
      };
      live.set(session.agentId, agent);
      // A kill and a quick return is still a kill.
      for (const [id, entry] of closing) {
        if (entry.agent.session.agentId === session.agentId) {
          closing.delete(id);
          entry.cancel();
          entry.decide();
        }
      }
      return agent;
    },

    closed(session, close) {
      const agent = find(session);
      if (!agent) return;
      if (live.get(session.agentId) === agent) live.delete(session.agentId);
      // The server closed it: refused, replaced, revoked or shutting down; each is its own story.
      if (close.byServer) return;
      const decide = () => deps.closedForGood(agent, close);
      const cancel = deps.scheduler.after(deps.closeGraceMs, () => {
        if (closing.delete(session.session)) decide();
      });
      closing.set(session.session, { agent, decide, cancel });
    },

    find,
    live: () => [...live.values()],

    clear() {
      for (const entry of closing.values()) entry.cancel();
      closing.clear();
      live.clear();
    },
  };
}
