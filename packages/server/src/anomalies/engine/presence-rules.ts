/**
 * Whether an agent is there: the timer's rules for what did not happen
 * (silence, a long idle), a connection closed for good, and closing what
 * its return ends (the agent reconnected, or frames arrived again).
 */
import type { RuleId } from '../../domain/rules/anomaly.js';
import { evaluateRules } from '../../domain/rules/rule-dispatch.js';
import type { SessionClose } from '../../ingest/ingest-hub.js';
import type { AnomalyService } from '../anomaly.service.js';
import type { AnomalyRaiser } from './anomaly-raiser.js';
import { coalesce, MAX_AGENTS_PER_STATEMENT } from './coalesced-read.js';
import { contextOf, type LiveAgent } from './connections.js';
import type { AnomalySettings } from './settings-cache.js';

/** What an agent's return ends. */
const GONE_RULES: readonly RuleId[] = ['agent_silent', 'agent_stopped'];
/** What frames arriving again end: a silence on an open connection (its key is ''). */
const SILENCE: RuleId = 'agent_silent';

export interface PresenceRules {
  returned(agent: LiveAgent): Promise<void>;
  heardFrom(agent: LiveAgent): Promise<void>;
  closedForGood(agent: LiveAgent, close: SessionClose): Promise<void>;
  tick(agent: LiveAgent, now: number): Promise<void>;
}

export function createPresenceRules(deps: {
  settings: AnomalySettings;
  raiser: AnomalyRaiser;
  anomalies: Pick<AnomalyService, 'resolveReturned'>;
  /** An agent that goes silent again this soon after its return reopens the same anomaly. */
  flapWindowMs: number;
}): PresenceRules {
  const { settings, raiser } = deps;
  // Every hello asks: the hellos of a turn (a connect storm's thousands) share one statement.
  const returned = coalesce(
    (agentIds: readonly string[]) =>
      deps.anomalies
        .resolveReturned({ agentIds, rules: GONE_RULES, comment: 'the agent reconnected' })
        .then(() => agentIds.map(() => undefined)),
    MAX_AGENTS_PER_STATEMENT,
  );
  /** The rules, the seat's schedule and the session with the seat's placement as it is now. */
  const settingsOf = async (agent: LiveAgent) => {
    const session = await settings.placed(agent.session);
    const [rules, schedule] = await Promise.all([
      settings.rules(session.projectId),
      settings.schedule(session.teamId),
    ]);
    return [rules, schedule, session] as const;
  };

  return {
    returned(agent) {
      return returned(agent.session.agentId);
    },

    async heardFrom(agent) {
      if (!agent.silenceRaised) return;
      agent.silenceRaised = false;
      await deps.anomalies.resolveReturned({
        agentIds: [agent.session.agentId],
        rules: [SILENCE],
        comment: 'frames arrived again',
        key: '',
      });
    },

    async closedForGood(agent, close) {
      const [rules, schedule, session] = await settingsOf(agent);
      const { candidates } = evaluateRules(
        'closed',
        {
          at: close.at,
          session: session.session,
          loginId: agent.loginId,
          closeCode: close.code,
          lastFrameAt: agent.lastFrameAt,
          presence: { seatState: agent.seatState, schedule },
          stopping: agent.stopping,
        },
        rules,
      );
      await raiser.raise(contextOf(session), candidates, deps.flapWindowMs);
    },

    async tick(agent, now) {
      const [rules, schedule, session] = await settingsOf(agent);
      const { candidates, states } = evaluateRules(
        'tick',
        {
          now,
          session: session.session,
          loginId: agent.loginId,
          lastHeardAt: agent.lastFrameAt,
          heartbeatMs: agent.heartbeatMs,
          seatState: agent.seatState,
          schedule,
          silenceRaised: agent.silenceRaised,
        },
        rules,
        agent.rules,
      );
      agent.rules = states;
      if (candidates.some((c) => c.rule === SILENCE)) agent.silenceRaised = true;
      await raiser.raise(contextOf(session), candidates, deps.flapWindowMs);
    },
  };
}
