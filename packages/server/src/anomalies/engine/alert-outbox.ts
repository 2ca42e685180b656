/**
 * Queues an alert for every target of the project that wants it, inside the
 * caller's transaction: the alert exists exactly when the anomaly change
 * does. One statement; the target filters (enabled, event, rules, minimum
 * severity) are evaluated in SQL.
 */
import type { AlertEvent } from '@seatwatch/shared/dashboard-api';
import { sql } from 'drizzle-orm';
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

export async function queueAlerts(ex: Executor, alert: AlertToQueue): Promise<number> {
  const at = new Date(alert.now).toISOString();
  const wants = (table: string) => sql`
    from ${sql.raw(table)} t
    where t.project_id = ${alert.projectId}
      and t.enabled
      and t.events ? ${alert.event}
      and (jsonb_array_length(t.rules) = 0 or t.rules ? ${alert.rule})
      and array_position(${ORDER}, t.min_severity) <= array_position(${ORDER}, ${alert.severity}::text)`;
  const rows = await queryRows<{ id: string }>(
    ex,
    sql`
      insert into anomaly_alert_deliveries
        (id, project_id, target_kind, target_id, anomaly_id, event, next_attempt_at)
      select gen_random_uuid()::text, t.project_id, 'webhook', t.id, ${alert.anomalyId}, ${alert.event},
             ${at}::timestamptz
      ${wants('anomaly_webhooks')}
      union all
      select gen_random_uuid()::text, t.project_id, 'syslog', t.id, ${alert.anomalyId}, ${alert.event},
             ${at}::timestamptz
      ${wants('anomaly_syslog_targets')}
      returning id`,
  );
  return rows.length;
}
