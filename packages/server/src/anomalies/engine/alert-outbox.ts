/**
 * Queues an alert for every target of the project that wants it, inside the
 * caller's transaction (or the very statement that changes the anomaly):
 * the alert exists exactly when the change does. The target filters
 * (enabled, event, rules, minimum severity) are evaluated in SQL.
 */
import type { AlertEvent } from '@seatwatch/shared/dashboard-api';
import { type SQL, sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../../db/connect.js';
import { SEVERITIES } from '../../domain/rules/anomaly.js';

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
 * severity (a one-row VALUES, or a data-modifying CTE's RETURNING).
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

export async function queueAlerts(ex: Executor, alert: AlertToQueue): Promise<number> {
  const rows = await queryRows<{ id: string }>(
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
