/** Anomaly rows as the API, the live push and the alerts show them (times in ms, a summary line, the seat's name). */
import type { Anomaly } from '@seatwatch/shared/dashboard-api';
import { isRuleId } from '../domain/rules/anomaly.js';
import { summarizeAnomaly } from '../domain/rules/anomaly-summary.js';
import type { AnomalyRow } from './anomalies.repository.js';

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
