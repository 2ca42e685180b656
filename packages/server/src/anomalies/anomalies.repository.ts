/**
 * Anomaly rows. upsertAnomaliesStatement() is the one way to raise one (the
 * anomaly recorder runs it): it inserts, or adds an occurrence to the OPEN
 * row of the same (project, agent, rule, key) — the partial unique index
 * anomalies_one_open_uq makes that atomic.
 */

import { randomUUID } from 'node:crypto';
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { type AnomalySeverity, type AnomalyStatus, anomalies, type EvidenceRef } from '../db/schema/index.js';

export type AnomalyRow = typeof anomalies.$inferSelect;

export interface AnomalyOccurrence {
  projectId: string;
  siteId: string | null;
  teamId: string | null;
  seatId: string | null;
  agentId: string | null;
  rule: string;
  severity: AnomalySeverity;
  operator: string | null;
  key: string;
  /** When it happened (ms); for several occurrences, the latest. */
  at: number;
  /** For several occurrences, when the earliest happened (ms; `at` when absent). */
  firstAt?: number;
  /** Occurrences this call adds (default 1). */
  count?: number;
  evidence: EvidenceRef[];
}

/** Evidence kept per anomaly: the first ones tell the story; a storm must not grow the row without end. */
export const MAX_EVIDENCE_REFS = 50;

/**
 * The upsert as a statement, RETURNING id, opened, count, project_id,
 * agent_id, rule, key and severity: the anomaly recorder wraps it in a CTE
 * that queues the alerts of newly opened rows in the same statement.
 *
 * Several occurrences make one statement; they must be distinct in
 * (project, agent, rule, key), since one statement may not update a row
 * twice. They are written in that order, so that two such statements
 * running at once take their row locks in the same order and cannot
 * deadlock.
 */
export function upsertAnomaliesStatement(occurrences: readonly AnomalyOccurrence[]): SQL {
  if (occurrences.length === 0) throw new Error('an anomaly upsert needs at least one occurrence');
  const rows = [...occurrences].sort(compareOccurrenceKeys).map((o) => {
    const first = new Date(o.firstAt ?? o.at).toISOString();
    const last = new Date(o.at).toISOString();
    return sql`(${randomUUID()}, ${o.projectId}, ${o.siteId}, ${o.teamId}, ${o.seatId}, ${o.agentId},
              ${o.rule}, ${o.severity}, ${o.operator}, ${o.key}, ${first}::timestamptz, ${last}::timestamptz,
              ${o.count ?? 1}, ${JSON.stringify(o.evidence)}::jsonb)`;
  });
  return sql`
      insert into anomalies as a
        (id, project_id, site_id, team_id, seat_id, agent_id, rule, severity, operator, key,
         first_at, last_at, count, evidence)
      values ${sql.join(rows, sql`, `)}
      on conflict (project_id, coalesce(agent_id, ''), rule, key) where status = 'open'
      do update set
        last_at = greatest(a.last_at, excluded.last_at),
        first_at = least(a.first_at, excluded.first_at),
        count = a.count + excluded.count,
        severity = excluded.severity,
        operator = coalesce(excluded.operator, a.operator),
        evidence = case when jsonb_array_length(a.evidence) >= ${MAX_EVIDENCE_REFS} then a.evidence
                        else a.evidence || excluded.evidence end
      returning id, (xmax = 0) as opened, count, project_id, agent_id, rule, key, severity`;
}

/** The identity of an open anomaly, as the partial unique index anomalies_one_open_uq sees it. */
export function occurrenceKey(o: Pick<AnomalyOccurrence, 'projectId' | 'agentId' | 'rule' | 'key'>): string {
  return `${o.projectId}\u0000${o.agentId ?? ''}\u0000${o.rule}\u0000${o.key}`;
}

function compareOccurrenceKeys(a: AnomalyOccurrence, b: AnomalyOccurrence): number {
  const x = occurrenceKey(a);
  const y = occurrenceKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function listAnomalies(
  ex: Executor,
  filter: { projectId: string; status?: AnomalyStatus | undefined; rule?: string | undefined; limit: number },
): Promise<AnomalyRow[]> {
  const conditions: SQL[] = [eq(anomalies.projectId, filter.projectId)];
  if (filter.status) conditions.push(eq(anomalies.status, filter.status));
  if (filter.rule) conditions.push(eq(anomalies.rule, filter.rule));
  return ex
    .select()
    .from(anomalies)
    .where(and(...conditions))
    .orderBy(desc(anomalies.lastAt))
    .limit(filter.limit);
}
