/**
 * Status changes: by a person through the API (acknowledge, resolve, false
 * positive, reopen), or by the server itself when what the anomaly reported
 * is over (the silent agent came back). Each change queues its alerts in the
 * same transaction; the caller announces it after the commit.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { AnomalyStatus } from '@seatwatch/shared/dashboard-api';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/connect.js';
import { anomalies } from '../db/schema/index.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import type { AnomalyRow } from './anomaly-view.js';
import { queueAlerts } from './engine/alert-outbox.js';

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

/** Closes what an agent's return ends (open or acknowledged). Returns the rows it changed. */
export async function resolveBySystem(
  db: Db,
  target: { agentId: string; rules: readonly string[]; key?: string; comment: string; now: number },
): Promise<AnomalyRow[]> {
  return db.transaction(async (tx) => {
    const rows = await tx
      .update(anomalies)
      .set({
        status: 'resolved',
        statusBy: SYSTEM_ACTOR,
        statusAt: new Date(target.now),
        comment: target.comment,
      })
      .where(
        and(
          eq(anomalies.agentId, target.agentId),
          inArray(anomalies.rule, [...target.rules]),
          inArray(anomalies.status, ['open', 'acknowledged']),
          target.key === undefined ? sql`true` : eq(anomalies.key, target.key),
        ),
      )
      .returning();
    for (const row of rows) await queueStatusAlerts(tx, row, target.now);
    return rows;
  });
}

export function announceStatus(
  notifications: NotificationPort,
  row: AnomalyRow,
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
