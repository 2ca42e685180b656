/**
 * Every query of the daily partitions of the telemetry tables (migration
 * 0015, issue #15). Making and dropping a partition are DDL, which the
 * application role may not run on tables it does not own; both go through
 * the migration's SECURITY DEFINER functions, which do only that (and the
 * drop keeps held rows itself, whoever calls it).
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { rowsOf } from '../db/raw-rows.js';

/** The partitioned telemetry tables, each with its partition key (the row's own time). */
export const PARTITIONED_TABLES = ['events', 'activity_spans', 'device_events', 'screenshots'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

/** yyyy-mm-dd of a UTC day. */
export type Day = string;

/** Makes the missing daily partitions of every partitioned table from `first` to `last` (UTC days); returns how many. */
export async function createPartitions(ex: Executor, first: Day, last: Day): Promise<number> {
  const [row] = await rowsOf(
    ex,
    sql`select seatwatch_create_partitions(${first}::date, ${last}::date) as made`,
    {
      made: Number,
    },
  );
  return row?.made ?? 0;
}

export interface DailyPartition {
  name: string;
  table: PartitionedTable;
  /** Where the partition's range ends (exclusive). */
  upper: Date;
}

/** The daily partitions (never the DEFAULT ones) whose range ends at or before `before`, oldest first. */
export async function partitionsEndingBy(ex: Executor, before: Date): Promise<DailyPartition[]> {
  const rows = await rowsOf(
    ex,
    sql`select name, parent, upper from (
          select c.relname::text as name, p.relname::text as parent,
                 (regexp_match(pg_get_expr(c.relpartbound, c.oid), $r$TO \\('([^']+)'\\)$r$))[1]::timestamptz as upper
          from pg_inherits i
          join pg_class c on c.oid = i.inhrelid
          join pg_class p on p.oid = i.inhparent
          where p.oid in (to_regclass('public.events'), to_regclass('public.activity_spans'),
                          to_regclass('public.device_events'), to_regclass('public.screenshots'))
        ) x
        where upper <= ${before.toISOString()}::timestamptz
        order by upper, name`,
    { name: String, parent: String, upper: (value) => new Date(value as string) },
  );
  return rows.map((row) => ({ name: row.name, table: row.parent as PartitionedTable, upper: row.upper }));
}

/** What dropping one partition deleted in one project; `hashes` are the blobs its screenshot rows named. */
export interface DroppedRows {
  projectId: string;
  deleted: number;
  hashes: string[];
}

/**
 * Drops one partition that ends by `before`, keeping its held rows (they move
 * to the table's DEFAULT partition); returns what went, per project.
 */
export async function dropPartition(ex: Executor, name: string, before: Date): Promise<DroppedRows[]> {
  const rows = await rowsOf(
    ex,
    sql`select project_id, deleted, hashes from seatwatch_drop_partition(${name}, ${before.toISOString()}::timestamptz)`,
    { project_id: String, deleted: Number, hashes: (value) => (value ?? []) as string[] },
  );
  return rows.map((row) => ({ projectId: row.project_id, deleted: row.deleted, hashes: row.hashes }));
}
