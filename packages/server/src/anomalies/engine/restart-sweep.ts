/**
 * Once, restartGraceMs after this process started: agents seen shortly
 * before the start that have not come back. Their connections died with
 * the old process, so no close was ever seen for them. Likewise, restartGraceMs
 * after another collector process was found dead (issue #15): the agents it
 * held that have not come back to any process.
 */
import type { Db } from '../../db/connect.js';
import { evaluateRules, listens } from '../../domain/rules/rule-dispatch.js';
import { agentsLeftBehind } from '../rule-facts.repository.js';
import type { AgentQueue } from './agent-queue.js';
import type { AnomalyRaiser } from './anomaly-raiser.js';
import type { AnomalySettings } from './settings-cache.js';

export interface RestartSweep {
  /** Sweeps when the grace period is over and it has not swept yet; and the lost collectors' agents that are due. */
  maybeSweep(now: number): Promise<void>;
  /**
   * Another collector process was found dead at `now` and these agents it held were marked
   * disconnected (issue #15): as after a restart, the ones not back after the grace period are flagged.
   */
  collectorLost(agentIds: readonly string[], now: number): void;
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
  /** Agents of collectors found dead, each group swept once its grace period is over. */
  let lost: Array<{ agentIds: readonly string[]; at: number }> = [];

  async function sweep(
    now: number,
    window: { since: number; start: number; agentIds?: readonly string[] },
  ): Promise<void> {
    const serverStartedAt = window.start;
    const rows = await agentsLeftBehind(deps.db, window);
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
            serverStartedAt,
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
      const due = lost.filter((group) => now - group.at >= deps.restartGraceMs);
      lost = lost.filter((group) => !due.includes(group));
      for (const group of due) {
        await sweep(now, {
          since: group.at - deps.restartLookbackMs,
          start: group.at,
          agentIds: group.agentIds,
        });
      }
      if (swept || now - startedAt < deps.restartGraceMs) return;
      swept = true;
      await sweep(now, { since: startedAt - deps.restartLookbackMs, start: startedAt });
    },
    collectorLost(agentIds, now) {
      if (agentIds.length > 0) lost.push({ agentIds, at: now });
    },
  };
}
