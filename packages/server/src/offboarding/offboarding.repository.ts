/**
 * Every query of offboarding: the project, its agents, what its purge
 * counts and deletes. The project row's cascade removes whatever the
 * batches leave, but for the telemetry tables (no foreign key since 0022),
 * which are deleted again with it.
 */
import { asc, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { nullable, rowsOf } from '../db/raw-rows.js';
import { agents, events, policyHistory, projects, screenshots, seats } from '../db/schema/index.js';

export type ProjectRow = typeof projects.$inferSelect;

/** Tables counted in the report (the purge removes them and the rest). */
const COUNTED = [
  'events',
  'activity_spans',
  'device_events',
  'screenshots',
  'logins',
  'anomalies',
  'agents',
  'seats',
  'teams',
  'sites',
  'enrollment_tokens',
  'allowlist_entries',
  'cases',
  'case_items',
  'user_grants',
  'signed_frames',
  'policy_history',
] as const;
/** The big tables go first in batches, so no single statement holds millions of row locks. */
const BATCHED = [
  'events',
  'activity_spans',
  'device_events',
  'screenshots',
  'logins',
  'anomalies',
  'signed_frames',
] as const;
const BATCH = 5000;
/** The batched tables the project's cascade does not reach. */
const TELEMETRY = ['events', 'activity_spans', 'device_events', 'screenshots'] as const;

export async function findProject(ex: Executor, projectId: string): Promise<ProjectRow | null> {
  const [project] = await ex.select().from(projects).where(eq(projects.id, projectId));
  return project ?? null;
}

/** Revokes the project's active agents: their sockets are refused at the next hello. */
export async function revokeProjectAgents(ex: Executor, projectId: string, actor: string): Promise<void> {
  await ex.execute(sql`update agents set status = 'revoked', revoked_at = now(), revoked_by = ${actor}
                       where project_id = ${projectId} and status = 'active'`);
}

/** Rows of the project, per table. */
export async function projectRowCounts(ex: Executor, projectId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of COUNTED) {
    const [row] = await rowsOf(
      ex,
      sql`select count(*) as n from ${sql.raw(table)} where project_id = ${projectId}`,
      { n: Number },
    );
    counts[table] = row?.n ?? 0;
  }
  return counts;
}

/** The blob hashes (images and thumbnails) the project's screenshots refer to. */
export async function projectScreenshotHashes(ex: Executor, projectId: string): Promise<string[]> {
  const rows = await ex
    .select({ sha256: screenshots.sha256, thumbSha256: screenshots.thumbSha256 })
    .from(screenshots)
    .where(eq(screenshots.projectId, projectId));
  const hashes = new Set<string>();
  for (const row of rows) {
    hashes.add(row.sha256);
    if (row.thumbSha256) hashes.add(row.thumbSha256);
  }
  return [...hashes];
}

/** Deletes the project: its rows of the big tables in batches, then the project row and its cascade. */
export async function deleteProject(ex: Executor, projectId: string): Promise<void> {
  for (const table of BATCHED) {
    for (;;) {
      const rows = await rowsOf(
        ex,
        sql`delete from ${sql.raw(table)} where id in (
              select id from ${sql.raw(table)} where project_id = ${projectId} limit ${BATCH}) returning id`,
        { id: String },
      );
      if (rows.length < BATCH) break;
    }
  }
  // The telemetry tables have no foreign key to agents (migration 0022), so the cascade does not reach them:
  // rows a still-connected agent stored after the batches go with its agent row, in one transaction. Ingest
  // stores no row for an agent whose row is gone, and one storing now holds the agent's row until it commits.
  await ex.transaction(async (tx) => {
    await tx.delete(projects).where(eq(projects.id, projectId));
    for (const table of TELEMETRY) {
      await tx.execute(sql`delete from ${sql.raw(table)} where project_id = ${projectId}`);
    }
  });
}

/** Every version of the project's policies (project-wide and per site), oldest first (policy_history). */
export async function policyHistoryRows(ex: Executor, projectId: string) {
  return ex
    .select({
      id: policyHistory.id,
      policyId: policyHistory.policyId,
      siteId: policyHistory.siteId,
      settings: policyHistory.settings,
      noticeText: policyHistory.noticeText,
      noticeVersion: policyHistory.noticeVersion,
      recordedAt: policyHistory.recordedAt,
    })
    .from(policyHistory)
    .where(eq(policyHistory.projectId, projectId))
    .orderBy(asc(policyHistory.recordedAt), asc(policyHistory.id));
}

/** Each time an operator was shown a notice version: the agents' notice_ack events, oldest first. */
export async function noticeAcknowledgements(ex: Executor, projectId: string) {
  return rowsOf(
    ex,
    sql`select e.id, e.agent_id, e.seat_id, s.name as seat_name, e.time, e.received_at,
               (e.body->>'noticeVersion')::int as notice_version, e.body->>'osUser' as os_user,
               e.body->'shownVia' as shown_via
        from events e left join seats s on s.id = e.seat_id
        where e.project_id = ${projectId} and e.type = 'notice_ack'
        order by e.time, e.id`,
    {
      id: events.id,
      agent_id: events.agentId,
      seat_id: events.seatId,
      seat_name: nullable(seats.name),
      time: events.time,
      received_at: events.receivedAt,
      notice_version: Number,
      os_user: (value: unknown) => String(value),
      shown_via: (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as string[],
    },
  );
}

/** The notice version each agent of the project last acknowledged, as the agent row keeps it. */
export async function agentNoticeVersions(ex: Executor, projectId: string) {
  return ex
    .select({
      agentId: agents.id,
      seatId: agents.seatId,
      hostname: agents.hostname,
      status: agents.status,
      noticeVersion: agents.noticeVersion,
    })
    .from(agents)
    .where(eq(agents.projectId, projectId))
    .orderBy(asc(agents.enrolledAt), asc(agents.id));
}
