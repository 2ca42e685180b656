/**
 * Legal holds. Retention already skips rows whose legal_hold flag is set
 * (retention/retention.repository.ts), so holding a case sets that
 * flag on every row its items cover: the rows it names, and every row of a
 * held time range of a seat. Releasing clears the flags of the case's
 * rows and sets again those that another held case of the project still
 * covers (clear, then reapply, in one transaction). Every statement is driven from case_items through the row's
 * primary key or its (seat_id, time) index, never a scan of a project.
 */
import { sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../db/connect.js';

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
async function flagCaseRows(ex: Executor, caseIds: readonly string[], hold: boolean): Promise<void> {
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

/** The held cases of a project (all projects when null). */
async function heldCases(ex: Executor, projectId: string | null): Promise<string[]> {
  const rows = await queryRows<{ id: string }>(
    ex,
    projectId === null
      ? sql`select id from cases where legal_hold`
      : sql`select id from cases where legal_hold and project_id = ${projectId}`,
  );
  return rows.map((row) => row.id);
}

/** After a case was put on hold, or an item was added to a held case. */
export async function applyCaseHold(ex: Executor, caseId: string): Promise<void> {
  await flagCaseRows(ex, [caseId], true);
}

/** Clears the flags of what the case covers (a released hold); then call reapplyProjectHolds. */
export async function clearCaseRows(ex: Executor, caseId: string): Promise<void> {
  await flagCaseRows(ex, [caseId], false);
}

/** Clears the flags of what one item covers, before it is removed; then call reapplyProjectHolds. */
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

/**
 * Holds again whatever the project's held cases cover, after a clear.
 * Run clear and reapply in one transaction, so retention never sees the gap.
 */
export async function reapplyProjectHolds(ex: Executor, projectId: string): Promise<void> {
  await flagCaseRows(ex, await heldCases(ex, projectId), true);
}

/**
 * Holds again everything every held case covers. Rows can arrive after a
 * hold was placed (an agent's outbox delivering a held range late), so the
 * retention job calls this before it deletes anything.
 */
export async function refreshAllCaseHolds(ex: Executor): Promise<void> {
  await flagCaseRows(ex, await heldCases(ex, null), true);
}

/** What stands in the way of purging a project: held cases, held seats, held rows. */
export async function projectHolds(
  ex: Executor,
  projectId: string,
): Promise<{ cases: number; seats: number; rows: number }> {
  const [row] = await queryRows<{ cases: string | number; seats: string | number; rows: string | number }>(
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
  );
  return { cases: Number(row?.cases ?? 0), seats: Number(row?.seats ?? 0), rows: Number(row?.rows ?? 0) };
}
