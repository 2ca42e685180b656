/**
 * The legal_hold flags a held case sets on the rows its items cover: the
 * rows it names, and every row of a held time range of a seat. Every
 * statement is driven from case_items through the row's primary key or its
 * (seat_id, time) index, never a scan of a project.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { rowsOf } from '../db/raw-rows.js';
import { cases } from '../db/schema/index.js';

interface HeldTable {
  table: string;
  /** case_items.kind that names a row of this table. */
  kind: string;
  /** Condition for a row `t` inside the time range item `ci`. */
  inRange: string;
}

const HELD_TABLES: readonly HeldTable[] = [
  { table: 'events', kind: 'event', inRange: 't.time >= ci.range_from and t.time <= ci.range_to' },
  { table: 'screenshots', kind: 'screenshot', inRange: 't.time >= ci.range_from and t.time <= ci.range_to' },
  {
    table: 'device_events',
    kind: 'device_event',
    inRange: 't.time >= ci.range_from and t.time <= ci.range_to',
  },
  {
    table: 'activity_spans',
    kind: 'activity_span',
    inRange: 't.started_at <= ci.range_to and t.ended_at >= ci.range_from',
  },
];

/** Sets (or clears) legal_hold on every row the items of these cases cover. */
export async function flagCaseRows(ex: Executor, caseIds: readonly string[], hold: boolean): Promise<void> {
  if (caseIds.length === 0) return;
  const cases = sql`(select jsonb_array_elements_text(${JSON.stringify(caseIds)}::jsonb))`;
  for (const { table, kind, inRange } of HELD_TABLES) {
    const t = sql.raw(table);
    await ex.execute(sql`
      update ${t} t set legal_hold = ${hold} from case_items ci
      where ci.case_id in ${cases} and ci.kind = ${kind} and t.id = ci.ref_id::bigint
        and t.project_id = ci.project_id and t.legal_hold <> ${hold}`);
    await ex.execute(sql`
      update ${t} t set legal_hold = ${hold} from case_items ci
      where ci.case_id in ${cases} and ci.kind = 'time_range' and t.seat_id = ci.seat_id
        and ${sql.raw(inRange)} and t.legal_hold <> ${hold}`);
  }
}

/** Clears the flags of what one item covers. */
export async function clearItemRows(ex: Executor, itemId: string): Promise<void> {
  for (const { table, kind, inRange } of HELD_TABLES) {
    const t = sql.raw(table);
    await ex.execute(sql`
      update ${t} t set legal_hold = false from case_items ci
      where ci.id = ${itemId} and ci.kind = ${kind} and t.id = ci.ref_id::bigint and t.project_id = ci.project_id`);
    await ex.execute(sql`
      update ${t} t set legal_hold = false from case_items ci
      where ci.id = ${itemId} and ci.kind = 'time_range' and t.seat_id = ci.seat_id and ${sql.raw(inRange)}`);
  }
}

/** The held cases of a project (all projects when null). */
export async function heldCaseIds(ex: Executor, projectId: string | null): Promise<string[]> {
  const rows = await ex
    .select({ id: cases.id })
    .from(cases)
    .where(
      projectId === null
        ? eq(cases.legalHold, true)
        : and(eq(cases.legalHold, true), eq(cases.projectId, projectId)),
    );
  return rows.map((row) => row.id);
}

/** Held cases, held seats, and whether any row is held (0 or 1), of one project. */
export async function projectHoldCounts(
  ex: Executor,
  projectId: string,
): Promise<{ cases: number; seats: number; rows: number }> {
  const [row] = await rowsOf(
    ex,
    sql`select
      (select count(*) from cases where project_id = ${projectId} and legal_hold) as cases,
      (select count(*) from seats where project_id = ${projectId} and legal_hold) as seats,
      (select count(*) from (
         select 1 from events where project_id = ${projectId} and legal_hold
         union all select 1 from screenshots where project_id = ${projectId} and legal_hold
         union all select 1 from device_events where project_id = ${projectId} and legal_hold
         union all select 1 from activity_spans where project_id = ${projectId} and legal_hold
         limit 1) x) as rows`,
    { cases: Number, seats: Number, rows: Number },
  );
  return row!;
}

/**
 * Seats under legal hold: held themselves, or named by an item of a held
 * case (a time range of the seat, or one of its rows). Their frames are
 * kept verbatim from the moment the hold is placed.
 */
export async function heldSeatIds(ex: Executor): Promise<string[]> {
  const rows = await rowsOf(
    ex,
    sql`select id as seat_id from seats where legal_hold
        union
        select ci.seat_id from case_items ci join cases c on c.id = ci.case_id
        where c.legal_hold and ci.seat_id is not null`,
    { seat_id: String },
  );
  return rows.map((row) => row.seat_id);
}
