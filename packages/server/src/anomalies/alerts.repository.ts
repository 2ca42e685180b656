/**
 * Alerts: the outbox (one delivery per changed anomaly and target that
 * wants it, queued in the very transaction or statement of the change),
 * the dispatcher's claims and attempts, and the targets themselves.
 */
import type { AlertEvent } from '@seatwatch/shared/dashboard-api';
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import { type Db, type Executor, queryRows } from '../db/connect.js';
import {
  type AlertAttempt,
  anomalyAlertDeliveries,
  anomalySyslogTargets,
  anomalyWebhooks,
} from '../db/schema/index.js';
import { SEVERITIES } from '../domain/rules/anomaly.js';
import type { RawRow } from './raw-row.js';

export type AlertDeliveryRow = typeof anomalyAlertDeliveries.$inferSelect;

// ---- the outbox ---------------------------------------------------------------------------

export interface AlertToQueue {
  readonly anomalyId: string;
  readonly projectId: string;
  readonly rule: string;
  readonly severity: string;
  readonly event: AlertEvent;
  readonly now: number;
}

const ORDER = sql.raw(`array[${SEVERITIES.map((s) => `'${s}'`).join(',')}]`);

/**
 * INSERT … SELECT of one delivery per (changed anomaly, target that wants
 * it); `changed` names a relation with columns id, project_id, rule and
 * severity (a one-row VALUES, or a data-modifying CTE's RETURNING). The
 * target filters (enabled, event, rules, minimum severity) are evaluated in
 * SQL, so the alert exists exactly when the change does.
 */
export function insertAlertsFor(changed: SQL, event: AlertEvent, now: number): SQL {
  const at = new Date(now).toISOString();
  const from = (table: string, kind: 'webhook' | 'syslog') => sql`
    select gen_random_uuid()::text, t.project_id, ${kind}, t.id, r.id, ${event}, ${at}::timestamptz
    from ${changed} r join ${sql.raw(table)} t on t.project_id = r.project_id
    where t.enabled
      and t.events ? ${event}
      and (jsonb_array_length(t.rules) = 0 or t.rules ? r.rule)
      and array_position(${ORDER}, t.min_severity) <= array_position(${ORDER}, r.severity)`;
  return sql`
    insert into anomaly_alert_deliveries (id, project_id, target_kind, target_id, anomaly_id, event, next_attempt_at)
    ${from('anomaly_webhooks', 'webhook')}
    union all
    ${from('anomaly_syslog_targets', 'syslog')}`;
}

/** Queues the alerts of one changed anomaly, inside the caller's transaction. */
export async function queueAlerts(ex: Executor, alert: AlertToQueue): Promise<number> {
  const rows = await queryRows<RawRow<Pick<AlertDeliveryRow, 'id'>>>(
    ex,
    sql`
      with changed as (
        select ${alert.anomalyId}::text as id, ${alert.projectId}::text as project_id,
               ${alert.rule}::text as rule, ${alert.severity}::text as severity)
      ${insertAlertsFor(sql`changed`, alert.event, alert.now)}
      returning id`,
  );
  return rows.length;
}

// ---- the dispatcher -----------------------------------------------------------------------

export type ClaimedDelivery = RawRow<
  Pick<AlertDeliveryRow, 'id' | 'targetKind' | 'targetId' | 'anomalyId' | 'event' | 'attempts' | 'payload'>
>;

/**
 * Due deliveries, leased until `leaseUntil`: FOR UPDATE SKIP LOCKED, so two
 * processes never claim the same one.
 */
export function claimDueDeliveries(
  db: Db,
  claim: { now: number; leaseUntil: number; batchSize: number },
): Promise<ClaimedDelivery[]> {
  return queryRows<ClaimedDelivery>(
    db,
    sql`
        update anomaly_alert_deliveries d
        set next_attempt_at = ${new Date(claim.leaseUntil).toISOString()}::timestamptz
        where d.id in (
          select id from anomaly_alert_deliveries
          where status = 'pending' and next_attempt_at <= ${new Date(claim.now).toISOString()}::timestamptz
          order by next_attempt_at
          limit ${claim.batchSize}
          for update skip locked)
        returning d.id, d.target_kind, d.target_id, d.anomaly_id, d.event, d.attempts, d.payload`,
  );
}

/** Stores the body every attempt sends; answers it as stored (jsonb orders keys its own way). */
export async function fixDeliveryPayload(
  db: Db,
  id: string,
  payload: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const [stored] = await db
    .update(anomalyAlertDeliveries)
    .set({ payload })
    .where(eq(anomalyAlertDeliveries.id, id))
    .returning({ payload: anomalyAlertDeliveries.payload });
  return stored!.payload!;
}

export interface AttemptRecord {
  readonly status: AlertDeliveryRow['status'];
  readonly attempts: number;
  readonly nextAttemptAt: Date | null;
  readonly lastStatusCode: number | null;
  readonly deliveredAt: Date | null;
  readonly log: AlertAttempt;
}

/** The outcome of one attempt, appended to the delivery's log. */
export async function recordAttempt(db: Db, id: string, attempt: AttemptRecord): Promise<void> {
  await db
    .update(anomalyAlertDeliveries)
    .set({
      status: attempt.status,
      attempts: attempt.attempts,
      nextAttemptAt: attempt.nextAttemptAt,
      lastStatusCode: attempt.lastStatusCode,
      lastError: attempt.log.error,
      deliveredAt: attempt.deliveredAt,
      attemptLog: sql`${anomalyAlertDeliveries.attemptLog} || ${JSON.stringify([attempt.log])}::jsonb`,
    })
    .where(eq(anomalyAlertDeliveries.id, id));
}

// ---- targets ------------------------------------------------------------------------------

const TARGET_TABLES = { webhook: anomalyWebhooks, syslog: anomalySyslogTargets } as const;
type TargetTables = typeof TARGET_TABLES;
export type AlertTargetKind = keyof TargetTables;
export type AlertTargetRow<K extends AlertTargetKind> = TargetTables[K]['$inferSelect'];
export type AlertTargetValues<K extends AlertTargetKind> = Omit<
  TargetTables[K]['$inferInsert'],
  'id' | 'projectId' | 'createdAt'
>;

export interface AlertTargetRows<K extends AlertTargetKind> {
  find(ex: Executor, id: string): Promise<AlertTargetRow<K> | null>;
  /** Oldest first. */
  list(ex: Executor, projectId: string): Promise<AlertTargetRow<K>[]>;
  insert(ex: Executor, projectId: string, values: AlertTargetValues<K>): Promise<AlertTargetRow<K>>;
  update(
    ex: Executor,
    projectId: string,
    id: string,
    values: AlertTargetValues<K>,
  ): Promise<AlertTargetRow<K> | null>;
  /** Whether it was there to delete. */
  remove(ex: Executor, projectId: string, id: string): Promise<boolean>;
}

/** Webhooks and syslog targets, each by project and id: the same queries on two tables. */
export function alertTargetRows<K extends AlertTargetKind>(kind: K): AlertTargetRows<K> {
  // Typed as one of the two so the query builder accepts it: both have the id, project_id and created_at used here.
  const table = TARGET_TABLES[kind] as unknown as typeof anomalyWebhooks;
  type Row = AlertTargetRow<K>;
  const one = (projectId: string, id: string) => and(eq(table.projectId, projectId), eq(table.id, id));
  return {
    async find(ex, id) {
      const [row] = await ex.select().from(table).where(eq(table.id, id));
      return (row ?? null) as Row | null;
    },
    async list(ex, projectId) {
      const rows = await ex
        .select()
        .from(table)
        .where(eq(table.projectId, projectId))
        .orderBy(table.createdAt);
      return rows as Row[];
    },
    async insert(ex, projectId, values) {
      const [row] = await ex
        .insert(table)
        .values({ projectId, ...(values as AlertTargetValues<'webhook'>) })
        .returning();
      return row as Row;
    },
    async update(ex, projectId, id, values) {
      const [row] = await ex
        .update(table)
        .set(values as AlertTargetValues<'webhook'>)
        .where(one(projectId, id))
        .returning();
      return (row ?? null) as Row | null;
    },
    async remove(ex, projectId, id) {
      const removed = await ex.delete(table).where(one(projectId, id)).returning({ id: table.id });
      return removed.length > 0;
    },
  };
}

export function listDeliveries(
  ex: Executor,
  filter: {
    projectId: string;
    targetId?: string | undefined;
    anomalyId?: string | undefined;
    status?: AlertDeliveryRow['status'] | undefined;
    limit: number;
  },
): Promise<AlertDeliveryRow[]> {
  const conditions: SQL[] = [eq(anomalyAlertDeliveries.projectId, filter.projectId)];
  if (filter.targetId) conditions.push(eq(anomalyAlertDeliveries.targetId, filter.targetId));
  if (filter.anomalyId) conditions.push(eq(anomalyAlertDeliveries.anomalyId, filter.anomalyId));
  if (filter.status) conditions.push(eq(anomalyAlertDeliveries.status, filter.status));
  return ex
    .select()
    .from(anomalyAlertDeliveries)
    .where(and(...conditions))
    .orderBy(desc(anomalyAlertDeliveries.createdAt), desc(anomalyAlertDeliveries.id))
    .limit(filter.limit);
}
