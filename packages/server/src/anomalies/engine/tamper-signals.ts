/**
 * Refusals that point at tampering: a hello with a bad signature, a
 * replayed challenge or a revoked agent (the login recorder already wrote
 * ip_not_allowed), and data frames with a forged signature or another
 * session's id.
 */
import type { Db } from '../../db/connect.js';
import type { RuleSettings } from '../../domain/rules/rule-catalog.js';
import { evaluateRules, listens } from '../../domain/rules/rule-dispatch.js';
import type { TamperSignal } from '../../domain/rules/tamper.rule.js';
import type { AnomalyContext } from '../../ingest/anomaly-port.js';
import type { AgentSession, FrameRefusal, LoginAttempt } from '../../ingest/ingest-hub.js';
import { agentPlace } from '../rule-facts.repository.js';
import type { AnomalyRaiser } from './anomaly-raiser.js';
import { contextOf } from './connections.js';
import type { AnomalySettings } from './settings-cache.js';

export interface TamperSignals {
  refusedHello(attempt: LoginAttempt): Promise<void>;
  refusedFrame(refusal: FrameRefusal & { agent: AgentSession }): Promise<void>;
}

export function createTamperSignals(deps: {
  db: Db;
  settings: AnomalySettings;
  raiser: AnomalyRaiser;
}): TamperSignals {
  const raise = (context: AnomalyContext, signal: TamperSignal, settings: RuleSettings) =>
    deps.raiser.raise(context, evaluateRules('tamper_signal', signal, settings).candidates);

  return {
    async refusedHello(attempt) {
      const { agentId, projectId, at, loginId } = attempt;
      if (agentId === null || projectId === null) return;
      const signal: TamperSignal | null =
        attempt.reason === 'bad_signature'
          ? { kind: 'bad_signature', at, frame: 'hello', session: null, loginId }
          : attempt.reason === 'wrong_nonce'
            ? { kind: 'hello_replay', at, loginId }
            : attempt.reason === 'agent_revoked'
              ? { kind: 'revoked_agent', at, ip: attempt.ip, loginId }
              : null;
      if (signal === null) return;
      const settings = await deps.settings.rules(projectId);
      if (!listens('tamper_signal', settings)) return;
      const place = await agentPlace(deps.db, agentId);
      await raise(
        {
          projectId,
          siteId: place?.site_id ?? null,
          teamId: place?.team_id ?? null,
          seatId: attempt.seatId,
          agentId,
          operator: place?.os_user ?? null,
        },
        signal,
        settings,
      );
    },

    async refusedFrame(refusal) {
      const { agent } = refusal;
      const settings = await deps.settings.rules(agent.projectId);
      if (!listens('tamper_signal', settings)) return;
      const signal: TamperSignal =
        refusal.code === 'bad_signature'
          ? { kind: 'bad_signature', at: refusal.at, frame: 'data', session: agent.session, loginId: null }
          : {
              kind: 'session_replay',
              at: refusal.at,
              session: agent.session,
              claimedSession: null,
              seq: null,
            };
      await raise(contextOf(agent), signal, settings);
    },
  };
}
