/** Anomaly rows as the API, the live push and the alerts show them (times in ms, a summary line, the seat's name). */
import type { Anomaly } from '@seatwatch/shared/dashboard-api';
import { eq, inArray } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { anomalies, seats } from '../db/schema/index.js';
import { isRuleId } from '../domain/rules/anomaly.js';
import { summarizeAnomaly } from '../domain/rules/anomaly-summary.js';

export type AnomalyRow = typeof anomalies.$inferSelect;

export function toAnomalyView(row: AnomalyRow, seatName: string | null): Anomaly {
  return {
    id: row.id,
    projectId: row.projectId,
    siteId: row.siteId,
    teamId: row.teamId,
    seatId: row.seatId,
    seatName,
    agentId: row.agentId,
    rule: row.rule as Anomaly['rule'],
    severity: row.severity,
    operator: row.operator,
    key: row.key,
    summary: isRuleId(row.rule) ? summarizeAnomaly(row.rule, row.key, row.evidence) : row.rule,
    firstAt: row.firstAt.getTime(),
    lastAt: row.lastAt.getTime(),
    count: row.count,
    status: row.status,
    statusBy: row.statusBy,
    statusAt: row.statusAt?.getTime() ?? null,
    comment: row.comment,
    evidence: row.evidence as Anomaly['evidence'],
  };
}

/** Views of the given rows, with their seats' names in one query. */
export async function viewsOf(ex: Executor, rows: readonly AnomalyRow[]): Promise<Anomaly[]> {
  const seatIds = [...new Set(rows.flatMap((r) => (r.seatId ? [r.seatId] : [])))];
  const names = new Map(
    seatIds.length === 0
      ? []
      : (
          await ex.select({ id: seats.id, name: seats.name }).from(seats).where(inArray(seats.id, seatIds))
        ).map((s) => [s.id, s.name] as const),
  );
  return rows.map((row) => toAnomalyView(row, row.seatId ? (names.get(row.seatId) ?? null) : null));
}

export async function loadAnomalyView(ex: Executor, id: string): Promise<Anomaly | null> {
  const rows = await ex.select().from(anomalies).where(eq(anomalies.id, id));
  const [view] = await viewsOf(ex, rows);
  return view ?? null;
}
