/**
 * Every query of the access records: folding a request into its bucket,
 * the buckets whose minute is over with counts not yet reported, whose data
 * a look touched, and the looks at one operator's data for the self-view.
 */
import { and, asc, eq, gt, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { rowsOf } from '../db/raw-rows.js';
import { rowOperator, seatOperatorsSql } from '../db/row-operator.js';
import { accessRecords, auditLog } from '../db/schema/index.js';

export type { AccessKind } from '../db/schema/access-records.js';
export type AccessRecordRow = typeof accessRecords.$inferSelect;
export type NewAccessRecord = Omit<typeof accessRecords.$inferInsert, 'id' | 'count' | 'reported' | 'lastAt'>;

/**
 * Counts one request into its bucket: a new bucket starts at 1 (and its
 * first request is reported at once by the caller, in the same
 * transaction), a known one counts up. Concurrent requests of one bucket
 * wait on its row, so exactly one of them sees the count 1.
 */
export async function foldRequest(ex: Executor, record: NewAccessRecord): Promise<AccessRecordRow> {
  const [row] = await ex
    .insert(accessRecords)
    .values({ ...record, count: 1, reported: 1, lastAt: record.firstAt })
    .onConflictDoUpdate({
      target: [
        accessRecords.kind,
        accessRecords.actor,
        accessRecords.action,
        accessRecords.route,
        accessRecords.projectId,
        accessRecords.seatId,
        accessRecords.subject,
        accessRecords.bucket,
      ],
      set: {
        count: sql`${accessRecords.count} + 1`,
        lastAt: sql`greatest(${accessRecords.lastAt}, excluded.last_at)`,
      },
    })
    .returning();
  return row!;
}

/** Minute buckets that are over and hold counts not reported yet; locked, skipping those another process holds. */
export function closedBuckets(ex: Executor, now: Date, limit: number): Promise<AccessRecordRow[]> {
  return ex
    .select()
    .from(accessRecords)
    .where(and(lte(accessRecords.bucketEnd, now), gt(accessRecords.count, accessRecords.reported)))
    .orderBy(asc(accessRecords.bucketEnd), asc(accessRecords.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function markReported(ex: Executor, id: number, reported: number): Promise<void> {
  await ex.update(accessRecords).set({ reported }).where(eq(accessRecords.id, id));
}

/**
 * Deletes buckets the audit log holds in full: minute buckets reported and
 * closed before `minutesBefore`, session buckets untouched since
 * `sessionsBefore`. Returns how many.
 */
export async function pruneBuckets(ex: Executor, minutesBefore: Date, sessionsBefore: Date): Promise<number> {
  const deleted = await ex
    .delete(accessRecords)
    .where(
      or(
        and(
          isNotNull(accessRecords.bucketEnd),
          lt(accessRecords.bucketEnd, minutesBefore),
          eq(accessRecords.count, accessRecords.reported),
        ),
        and(isNull(accessRecords.bucketEnd), lt(accessRecords.lastAt, sessionsBefore)),
      ),
    )
    .returning({ id: accessRecords.id });
  return deleted.length;
}

/** The OS account (lower case) a screenshot belongs to, or null. */
export async function screenshotOperator(ex: Executor, screenshotId: number): Promise<string | null> {
  const [row] = await rowsOf(
    ex,
    sql`select ${rowOperator('sh', 'time')} as operator from screenshots sh where sh.id = ${screenshotId}`,
    { operator: String },
  );
  return row?.operator ?? null;
}

/** The accounts (lower case) whose data a read of the seat over [from, to) may show. */
export async function seatOperators(
  ex: Executor,
  seatId: string,
  from: number,
  to: number,
): Promise<string[]> {
  const rows = await rowsOf(ex, seatOperatorsSql(seatId, from, to), { operator: String });
  return rows.map((row) => row.operator);
}

export interface OperatorLooks {
  seatId: string;
  projectId: string;
  teamId: string | null;
  /** Lower case; null: every look at the seat (a self-view link made before accounts were kept). */
  operator: string | null;
  limit: number;
}

/**
 * Audit entries of looks at one operator's data at a seat, newest first:
 * entries of the seat that name no accounts or name this one, board
 * views that covered the seat's team, and looks at several seats
 * (details.seats) that named this seat with this operator's account. The self-view's own entries are not
 * looks by others.
 */
export async function operatorLooks(ex: Executor, looks: OperatorLooks) {
  const team =
    looks.teamId === null
      ? sql`false`
      : sql`a.details->'teamIds' @> jsonb_build_array(${looks.teamId}::text)`;
  const account =
    looks.operator === null
      ? sql`true`
      : sql`(a.details->'accounts' is null or a.details->'accounts' @> jsonb_build_array(${looks.operator}::text))`;
  // A look at several seats at once (the visual timeline's summary) names each with its accounts.
  const seatInView =
    looks.operator === null
      ? sql`jsonb_build_array(jsonb_build_object('id', ${looks.seatId}::text))`
      : sql`jsonb_build_array(jsonb_build_object('id', ${looks.seatId}::text, 'accounts', jsonb_build_array(${looks.operator}::text)))`;
  return rowsOf(
    ex,
    sql`select a.at, a.actor, a.action, a.reason, a.case_id,
          case when jsonb_typeof(a.details->'count') = 'number' then (a.details->>'count')::numeric end as count
        from audit_log a
        where (
            (a.seat_id = ${looks.seatId} and ${account})
            or (a.action = 'board.view' and a.project_id = ${looks.projectId}
                and (jsonb_typeof(a.details->'teamIds') is distinct from 'array' or ${team}) and ${account})
            or (a.seat_id is null and a.project_id = ${looks.projectId}
                and jsonb_typeof(a.details->'seats') = 'array' and a.details->'seats' @> ${seatInView})
          )
          and a.action not like 'self\\_view.%'
        order by a.seq desc limit ${looks.limit}`,
    {
      at: auditLog.at,
      actor: auditLog.actor,
      action: auditLog.action,
      reason: auditLog.reason,
      case_id: auditLog.caseId,
      count: (value: unknown) => Number(value),
    },
  );
}
