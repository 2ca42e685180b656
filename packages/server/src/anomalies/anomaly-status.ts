/**
 * Status changes: by a person through the API (acknowledge, resolve, false
 * positive, reopen), or by the server itself when what the anomaly reported
 * is over (the silent agent came back). Each change queues its alerts in the
 * same transaction; the caller announces it after the commit.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { AnomalyStatus } from '@seatwatch/shared/dashboard-api';
import { eq, sql } from 'drizzle-orm';
import { type Db, type Executor, queryRows } from '../db/connect.js';
import { anomalies } from '../db/schema/index.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import type { AnomalyRow } from './anomaly-view.js';
import { insertAlertsFor, queueAlerts } from './engine/alert-outbox.js';

/** Recorded as status_by when the server changed the status itself. */
export const SYSTEM_ACTOR = 'system';

async function queueStatusAlerts(ex: Executor, row: AnomalyRow, now: number): Promise<void> {
  await queueAlerts(ex, {
    anomalyId: row.id,
    projectId: row.projectId,
    rule: row.rule,
    severity: row.severity,
    event: 'anomaly.status_changed',
    now,
  });
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}

/**
 * Sets the status of one anomaly. Reopening fails with `conflict` while
 * another open anomaly of the same agent, rule and key exists (it carries
 * the newer occurrences).
 */
export async function changeAnomalyStatus(
  db: Db,
  change: { id: string; status: AnomalyStatus; comment: string; by: string; now: number },
): Promise<AnomalyRow> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .update(anomalies)
        .set({
          status: change.status,
          comment: change.comment,
          statusBy: change.by,
          statusAt: new Date(change.now),
        })
        .where(eq(anomalies.id, change.id))
        .returning();
      if (!row) throw new SeatwatchError('not_found', 'no such anomaly');
      await queueStatusAlerts(tx, row, change.now);
      return row;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new SeatwatchError('conflict', 'a newer open anomaly of this agent, rule and key exists');
    }
    throw error;
  }
}

/**
 * Closes what an agent's return ends (open or acknowledged), with its
 * alerts, in one statement: it runs on every hello, and usually finds
 * nothing to close.
 */
export async function resolveBySystem(
  ex: Executor,
  target: { agentId: string; rules: readonly string[]; key?: string; comment: string; now: number },
): Promise<StatusChanged[]> {
  const at = new Date(target.now).toISOString();
  const rows = await queryRows<{ id: string; project_id: string; status: string }>(
    ex,
    sql`
      with resolved as (
        update anomalies
        set status = 'resolved', status_by = ${SYSTEM_ACTOR}, status_at = ${at}::timestamptz,
            comment = ${target.comment}
        where agent_id = ${target.agentId}
          and rule in (${sql.join(
            target.rules.map((r) => sql`${r}`),
            sql`, `,
          )})
          and status in ('open', 'acknowledged')
          ${target.key === undefined ? sql`` : sql`and key = ${target.key}`}
        returning id, project_id, rule, severity, status),
      queued as (${insertAlertsFor(sql`resolved`, 'anomaly.status_changed', target.now)} returning 1)
      select id, project_id, status from resolved`,
  );
  return rows.map((r) => ({ id: r.id, projectId: r.project_id, status: r.status }));
}

/** What a status notification names. */
export interface StatusChanged {
  readonly id: string;
  readonly projectId: string;
  readonly status: string;
}

export function announceStatus(
  notifications: NotificationPort,
  row: StatusChanged,
  onError: (error: unknown) => void,
): void {
  notifications
    .publish({
      topic: 'anomaly.status_changed',
      projectId: row.projectId,
      anomalyId: row.id,
      status: row.status,
    })
    .catch(onError);
}
