/**
 * Rule settings per project, shift schedules per team and the site and team
 * of each seat, read from the database and kept for a short while. A change
 * through the API (a seat moved included) publishes `anomaly.settings_changed`,
 * which clears the project in every process (reloadOnChange); the time limit
 * covers a change made behind the API's back. A connection's session names the
 * seat's team as it was at hello; placed() gives it as it is now, so a seat
 * moved into a team gets that team's shift rules from the move on (issue #13).
 */
import type { Db, Executor } from '../../db/connect.js';
import { type RuleSettings, resolveRuleSettings } from '../../domain/rules/rule-catalog.js';
import type { ShiftSchedule } from '../../domain/rules/shift-schedule.js';
import type { AgentSession } from '../../ingest/ingest-hub.js';
import type { NotificationPort } from '../../notifications/notification-port.js';
import { projectSeatPlacements, type SeatPlacement } from '../../tenancy/tenancy.repository.js';
import { findSchedule, listRuleSettings } from '../anomaly-settings.repository.js';

export interface AnomalySettings {
  /**
   * Inside a transaction pass it as `ex`: on PGlite (one connection) a read
   * outside the open transaction would wait for it forever.
   */
  rules(projectId: string, ex?: Executor): Promise<RuleSettings>;
  /** The team's schedule; null for no team or a team without one. */
  schedule(teamId: string | null): Promise<ShiftSchedule | null>;
  /** The session with its seat's site and team as they are now (a seat may have moved since the hello). */
  placed(session: AgentSession): Promise<AgentSession>;
  /** Forget a project's settings, every schedule and every seat's placement (a change names its project). */
  invalidate(projectId: string): void;
}

interface Entry<T> {
  value: Promise<T>;
  expiresAt: number;
}

export function createAnomalySettings(deps: {
  db: Db;
  now: () => number;
  ttlMs: number;
  /** A stored config that no longer fits its rule (it runs on defaults meanwhile). */
  onProblem: (projectId: string, rule: string, problem: string) => void;
}): AnomalySettings {
  const rules = new Map<string, Entry<RuleSettings>>();
  const schedules = new Map<string, Entry<ShiftSchedule | null>>();
  // By project, every seat at once: one read per project and time limit, where one per seat made
  // 5,000 seats' frames cost 170 reads a second.
  const placements = new Map<string, Entry<Map<string, SeatPlacement>>>();

  function cached<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const now = deps.now();
    const hit = map.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = load();
    map.set(key, { value, expiresAt: now + deps.ttlMs });
    // A failed read must not stick: the next caller tries again.
    value.catch(() => {
      if (map.get(key)?.value === value) map.delete(key);
    });
    return value;
  }

  return {
    rules(projectId, ex = deps.db) {
      return cached(rules, projectId, async () => {
        const { settings, problems } = resolveRuleSettings(await listRuleSettings(ex, projectId));
        for (const p of problems) deps.onProblem(projectId, p.rule, p.problem);
        return settings;
      });
    },
    schedule(teamId) {
      if (teamId === null) return Promise.resolve(null);
      return cached(schedules, teamId, async () => {
        const row = await findSchedule(deps.db, teamId);
        return row ? { timeZone: row.timeZone, weekly: row.weekly, exceptions: row.exceptions } : null;
      });
    },
    async placed(session) {
      const project = await cached(placements, session.projectId, () =>
        projectSeatPlacements(deps.db, session.projectId),
      );
      const now = project.get(session.seatId);
      if (!now || (now.siteId === session.siteId && now.teamId === session.teamId)) return session;
      return { ...session, siteId: now.siteId, teamId: now.teamId };
    },
    invalidate(projectId) {
      rules.delete(projectId);
      schedules.clear();
      placements.clear();
    },
  };
}

/** Drops a project's cached settings when any process announces a change; returns the unsubscribe. */
export function reloadOnChange(notifications: NotificationPort, settings: AnomalySettings): () => void {
  return notifications.subscribe((notification) => {
    if (notification.topic === 'anomaly.settings_changed') settings.invalidate(notification.projectId);
  });
}
