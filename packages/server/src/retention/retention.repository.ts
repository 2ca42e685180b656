/**
 * Every query of retention: the projects' retention settings, the
 * one-at-a-time lock, and batched deletes. Each delete removes at most
 * `limit` rows of one project older than `before`, skipping rows under
 * legal hold and rows of seats under legal hold.
 *
 * A held case's time ranges are checked here too, not only through the
 * rows' legal_hold flags: a row that arrives in a held range after the
 * job refreshed the flags (an outbox delivering late) must not be deleted
 * in that gap either. Signed frames (kept only for held seats) go once no
 * hold names their seat and they are older than the retention.
 */
import { DEFAULT_POLICY } from '@seatwatch/shared';
import { isNull, sql } from 'drizzle-orm';
import type { Database, Executor } from '../db/connect.js';
import { rowsOf } from '../db/raw-rows.js';
import { policies, screenshots } from '../db/schema/index.js';
import type { ProjectRetention } from '../domain/retention.js';

const RETENTION_LOCK_KEY = 0x5ea7_0002;

/**
 * Runs `work` unless another process holds the retention lock (then
 * returns null). On PostgreSQL the session-level advisory lock is held on
 * one pooled connection for the whole run; PGlite is one process's
 * database, so there is nobody to exclude.
 */
export async function underRetentionLock<T>(database: Database, work: () => Promise<T>): Promise<T | null> {
  const lockClient = database.pool ? await database.pool.connect() : null;
  try {
    if (lockClient) {
      const { rows } = await lockClient.query<{ locked: boolean }>(
        'select pg_try_advisory_lock($1) as locked',
        [RETENTION_LOCK_KEY],
      );
      if (!rows[0]?.locked) return null;
    }
    return await work();
  } finally {
    if (lockClient) {
      await lockClient.query('select pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]).catch(() => {});
      lockClient.release();
    }
  }
}

/** Each project's retention, from its project-wide policy. */
export async function projectRetentions(ex: Executor): Promise<ProjectRetention[]> {
  const rows = await ex
    .select({ projectId: policies.projectId, settings: policies.settings })
    .from(policies)
    .where(isNull(policies.siteId));
  return rows.map((row) => ({
    projectId: row.projectId,
    retentionDays: row.settings.retentionDays ?? DEFAULT_POLICY.retentionDays,
  }));
}

/**
 * How many projects have no project-wide policy, so no retention: their rows
 * are never deleted, so no partition may be dropped while one exists.
 */
export async function projectsWithoutRetention(ex: Executor): Promise<number> {
  const [row] = await rowsOf(
    ex,
    sql`select count(*) as n from projects p
        where not exists (select 1 from policies pol where pol.project_id = p.id and pol.site_id is null)`,
    { n: Number },
  );
  return row?.n ?? 0;
}

export type RetainedTable = 'events' | 'activity_spans' | 'device_events' | 'signed_frames';

type ExpiringTable = RetainedTable | 'screenshots';

const TIME_COLUMN: Record<ExpiringTable, string> = {
  events: 'time',
  activity_spans: 'ended_at',
  device_events: 'time',
  screenshots: 'time',
  signed_frames: 'received_at',
};

/** Held by a held case (a condition on row t and case item ci of a held case on t's seat). */
const HELD_BY_CASE: Record<ExpiringTable, string> = {
  events: "ci.kind = 'time_range' and t.time between ci.range_from and ci.range_to",
  screenshots: "ci.kind = 'time_range' and t.time between ci.range_from and ci.range_to",
  device_events: "ci.kind = 'time_range' and t.time between ci.range_from and ci.range_to",
  activity_spans: "ci.kind = 'time_range' and t.started_at <= ci.range_to and t.ended_at >= ci.range_from",
  // A held seat's frames are all kept: they are what its held rows are checked against.
  signed_frames: 'true',
};

/**
 * The partition key of the partitioned tables (migration 0015): a delete names it beside the id, so it
 * reads only the partitions before the cutoff instead of probing every day's for each id.
 */
const PARTITION_KEY: Partial<Record<ExpiringTable, string>> = {
  events: 'time',
  activity_spans: 'started_at',
  device_events: 'time',
  screenshots: 'time',
};

function expired(table: ExpiringTable, projectId: string, before: Date, limit: number) {
  const key = PARTITION_KEY[table];
  return sql`
    select t.id${key ? sql.raw(`, t."${key}"`) : sql``} from ${sql.raw(table)} t
    where t.project_id = ${projectId}
      and t.${sql.raw(TIME_COLUMN[table])} < ${before.toISOString()}::timestamptz
      ${
        // A span that ended before the cutoff started before it: said, so only the partitions before it are read.
        table === 'activity_spans' ? sql`and t.started_at < ${before.toISOString()}::timestamptz` : sql``
      }
      ${table === 'signed_frames' ? sql`` : sql`and not t.legal_hold`}
      and not exists (select 1 from seats s where s.id = t.seat_id and s.legal_hold)
      and not exists (select 1 from case_items ci join cases c on c.id = ci.case_id
                      where c.legal_hold and ci.seat_id = t.seat_id and ${sql.raw(HELD_BY_CASE[table])})
    order by t.id
    limit ${limit}`;
}

/** The left side of a delete's `in (expired rows)`, with the partition key and its bound where there is one. */
function matching(table: ExpiringTable, before: Date) {
  const key = PARTITION_KEY[table];
  return key
    ? sql`${sql.raw(`"${key}"`)} < ${before.toISOString()}::timestamptz and (id, ${sql.raw(`"${key}"`)})`
    : sql`id`;
}

export async function deleteExpiredRows(
  ex: Executor,
  table: RetainedTable,
  projectId: string,
  before: Date,
  limit: number,
): Promise<number> {
  const rows = await rowsOf(
    ex,
    sql`delete from ${sql.raw(table)} where ${matching(table, before)} in (${expired(table, projectId, before, limit)})
        returning id`,
    { id: Number },
  );
  return rows.length;
}

/** Deletes expired screenshot rows; returns the blob hashes (images and thumbnails) they referenced. */
export async function deleteExpiredScreenshots(
  ex: Executor,
  projectId: string,
  before: Date,
  limit: number,
): Promise<{ deleted: number; hashes: string[] }> {
  const rows = await rowsOf(
    ex,
    sql`delete from screenshots where ${matching('screenshots', before)} in (${expired('screenshots', projectId, before, limit)})
        returning sha256, thumb_sha256`,
    { sha256: screenshots.sha256, thumb_sha256: screenshots.thumbSha256 },
  );
  const hashes = new Set<string>();
  for (const row of rows) {
    hashes.add(row.sha256);
    if (row.thumb_sha256) hashes.add(row.thumb_sha256);
  }
  return { deleted: rows.length, hashes: [...hashes] };
}
