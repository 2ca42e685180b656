/** Anomaly rows as the API, the live push and the alerts show them (times in ms, a summary line and its message code, the seat's name). */
import type { Anomaly } from '@seatwatch/shared/dashboard-api';
import { isRuleId } from '../domain/rules/anomaly.js';
import { describeAnomaly, summarizeAnomaly } from '../domain/rules/anomaly-summary.js';
import type { AnomalyRow } from './anomalies.repository.js';

export function toAnomalyView(row: AnomalyRow, seatName: string | null): Anomaly {
  // A row of a rule this server no longer has keeps its rule's id as its summary, and no code.
  const message = isRuleId(row.rule) ? describeAnomaly(row.rule, row.key, row.evidence) : null;
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
    code: message?.code ?? null,
    params: message?.params ?? {},
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
