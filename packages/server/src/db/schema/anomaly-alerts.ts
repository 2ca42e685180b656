/**
 * Where anomalies are sent (webhooks, syslog receivers) and the delivery
 * log. A delivery row is written in the transaction that opens or changes
 * the anomaly, so an alert is never lost to a crash; a worker in any server
 * process claims due rows (FOR UPDATE SKIP LOCKED), sends, and records each
 * attempt.
 */
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { anomalies } from './anomalies.js';
import { createdAtColumn, idColumn, timestampColumn } from './columns.js';
import { projects } from './tenancy.js';

/** What every alert target filters on. */
const alertFilter = () => ({
  enabled: boolean('enabled').notNull().default(true),
  minSeverity: text('min_severity').notNull(),
  /** Rule ids; empty: every rule. */
  rules: jsonb('rules').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  /** anomaly.opened and/or anomaly.status_changed. */
  events: jsonb('events').$type<string[]>().notNull(),
});

export const anomalyWebhooks = pgTable(
  'anomaly_webhooks',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    description: text('description').notNull().default(''),
    ...alertFilter(),
    createdAt: createdAtColumn(),
  },
  (t) => [index('anomaly_webhooks_project_idx').on(t.projectId)],
);

export const anomalySyslogTargets = pgTable(
  'anomaly_syslog_targets',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    host: text('host').notNull(),
    port: integer('port').notNull(),
    transport: text('transport').$type<'udp' | 'tcp'>().notNull(),
    /** RFC 5424 facility, 0–23. */
    facility: integer('facility').notNull(),
    description: text('description').notNull().default(''),
    ...alertFilter(),
    createdAt: createdAtColumn(),
  },
  (t) => [index('anomaly_syslog_targets_project_idx').on(t.projectId)],
);

export type AlertTargetKind = 'webhook' | 'syslog';
export type AlertDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One attempt as logged on its delivery. */
export interface AlertAttempt {
  at: number;
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export const anomalyAlertDeliveries = pgTable(
  'anomaly_alert_deliveries',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    targetKind: text('target_kind').$type<AlertTargetKind>().notNull(),
    /** anomaly_webhooks.id or anomaly_syslog_targets.id (no foreign key: one column serves both). */
    targetId: text('target_id').notNull(),
    anomalyId: text('anomaly_id')
      .notNull()
      .references(() => anomalies.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    status: text('status').$type<AlertDeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestampColumn('next_attempt_at'),
    /** The body, fixed at the first attempt so that every retry sends the same bytes. */
    payload: jsonb('payload').$type<Record<string, unknown>>(),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    attemptLog: jsonb('attempt_log').$type<AlertAttempt[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: createdAtColumn(),
    deliveredAt: timestampColumn('delivered_at'),
  },
  (t) => [
    index('anomaly_alert_deliveries_due_idx').on(t.status, t.nextAttemptAt),
    index('anomaly_alert_deliveries_target_idx').on(t.targetId, t.createdAt),
    index('anomaly_alert_deliveries_anomaly_idx').on(t.anomalyId),
  ],
);
