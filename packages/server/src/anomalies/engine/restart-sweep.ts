/**
 * Once, restartGraceMs after this process started: agents seen shortly
 * before the start that have not come back. Their connections died with
 * the old process, so no close was ever seen for them.
 */
import type { Db } from '../../db/connect.js';
import { evaluateRules, listens } from '../../domain/rules/rule-dispatch.js';
import { agentsLeftBehind } from '../rule-facts.repository.js';
import type { AgentQueue } from './agent-queue.js';
import type { AnomalyRaiser } from './anomaly-raiser.js';
import type { AnomalySettings } from './settings-cache.js';

export interface RestartSweep {
  /** Sweeps when the grace period is over and it has not swept yet. */
  maybeSweep(now: number): Promise<void>;
}

export function createRestartSweep(deps: {
  db: Db;
  settings: AnomalySettings;
  raiser: AnomalyRaiser;
  queue: AgentQueue;
  startedAt: number;
  /** After the start, agents get this long to reconnect before the ones that do not are flagged. */
  restartGraceMs: number;
  /** Agents seen this long before the start are the ones expected back. */
  restartLookbackMs: number;
}): RestartSweep {
  const { startedAt } = deps;
  let swept = false;

  async function sweep(now: number): Promise<void> {
    const rows = await agentsLeftBehind(deps.db, {
      since: startedAt - deps.restartLookbackMs,
      start: startedAt,
    });
    const raised = rows.map((row) =>
      deps.queue.run(row.id, async () => {
        const settings = await deps.settings.rules(row.project_id);
        if (!listens('not_back', settings)) return;
        const schedule = await deps.settings.schedule(row.team_id);
        const { candidates } = evaluateRules(
          'not_back',
          {
            at: now,
            lastSeenAt: new Date(row.last_seen_at!).getTime(),
            serverStartedAt: startedAt,
            presence: { seatState: row.state, schedule },
          },
          settings,
        );
        await deps.raiser.raise(
          {
            projectId: row.project_id,
            siteId: row.site_id,
            teamId: row.team_id,
            seatId: row.seat_id,
            agentId: row.id,
            operator: row.os_user,
          },
          candidates,
        );
      }),
    );
    await Promise.all(raised);
  }

  return {
    async maybeSweep(now) {
      if (swept || now - startedAt < deps.restartGraceMs) return;
      swept = true;
      await sweep(now);
    },
  };
}
