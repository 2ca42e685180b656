/**
 * Batched deletes for retention. Each call deletes at most `limit` rows of
 * one project older than `before`, skipping rows under legal hold and rows
 * of seats under legal hold.
 */
import { sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../db/connect.js';

export type RetainedTable = 'events' | 'activity_spans' | 'device_events';

const TIME_COLUMN: Record<RetainedTable, string> = {
  events: 'time',
  activity_spans: 'ended_at',
  device_events: 'time',
};

function expired(table: string, timeColumn: string, projectId: string, before: Date, limit: number) {
  return sql`
    select t.id from ${sql.raw(table)} t
    where t.project_id = ${projectId}
      and t.${sql.raw(timeColumn)} < ${before.toISOString()}::timestamptz
      and not t.legal_hold
      and not exists (select 1 from seats s where s.id = t.seat_id and s.legal_hold)
    order by t.id
    limit ${limit}`;
}

export async function deleteExpiredRows(
  ex: Executor,
  table: RetainedTable,
  projectId: string,
  before: Date,
  limit: number,
): Promise<number> {
  const rows = await queryRows<{ id: number }>(
    ex,
    sql`delete from ${sql.raw(table)} where id in (${expired(table, TIME_COLUMN[table], projectId, before, limit)})
        returning id`,
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
  const rows = await queryRows<{ sha256: string; thumb_sha256: string | null }>(
    ex,
    sql`delete from screenshots where id in (${expired('screenshots', 'time', projectId, before, limit)})
        returning sha256, thumb_sha256`,
  );
  const hashes = new Set<string>();
  for (const row of rows) {
    hashes.add(row.sha256);
    if (row.thumb_sha256) hashes.add(row.thumb_sha256);
  }
  return { deleted: rows.length, hashes: [...hashes] };
}

/** Of these hashes, the ones no screenshot row refers to any more (their bytes can go). */
export async function unreferencedBlobs(ex: Executor, hashes: readonly string[]): Promise<string[]> {
  if (hashes.length === 0) return [];
  const rows = await queryRows<{ sha: string }>(
    ex,
    sql`select h.sha from jsonb_array_elements_text(${JSON.stringify(hashes)}::jsonb) as h(sha)
        where not exists (select 1 from screenshots s where s.sha256 = h.sha or s.thumb_sha256 = h.sha)`,
  );
  return rows.map((row) => row.sha);
}
