/**
 * The one way anomalies are written, by the rules engine and by the
 * gateway alike (refused hellos and enrollments, sequence gaps): it applies
 * the project's rule settings (off, severity), folds the occurrence into the
 * open row of the same (agent, rule, key) (upsertAnomaliesStatement()), reopens a
 * row the server itself closed a moment ago (a flapping agent stays one
 * incident), and queues the alerts, all in the caller's transaction. After
 * the commit, announce() tells every process (live push, alert dispatch).
 */
import { sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../../db/connect.js';
import type { AnomalySeverity, EvidenceRef as StoredEvidenceRef } from '../../db/schema/index.js';
import type { AnomalyCandidate, EvidenceRef, RuleId } from '../../domain/rules/anomaly.js';
import { detectIpNotAllowed } from '../../domain/rules/ip-not-allowed.rule.js';
import { detectTamper } from '../../domain/rules/tamper.rule.js';
import type { AnomalyContext, GatewayAnomalies, RaisedAnomaly } from '../../ingest/anomaly-port.js';
import type { NotificationPort } from '../../notifications/notification-port.js';
import {
  type AnomalyOccurrence,
  MAX_EVIDENCE_REFS,
  occurrenceKey,
  upsertAnomaliesStatement,
} from '../anomalies.repository.js';
import { insertAlertsFor, queueAlerts } from './alert-outbox.js';
import type { AnomalySettings } from './settings-cache.js';

export interface RecordOptions {
  /** Occurrences this call stands for (a storm inside one commit is one call). */
  readonly count?: number;
  /** Reopen the row the server resolved itself within this window instead of opening a new one. */
  readonly reopenWithinMs?: number;
}

/** One occurrence (or `count` of them: the candidate's time is the latest, firstAt the earliest) to write. */
export interface Occurrence {
  readonly context: AnomalyContext;
  readonly candidate: AnomalyCandidate;
  readonly count: number;
  readonly firstAt?: number;
}

export interface AnomalyRecorder extends GatewayAnomalies {
  /** Null when the project turned the rule off. */
  record(
    ex: Executor,
    context: AnomalyContext,
    candidate: AnomalyCandidate,
    options?: RecordOptions,
  ): Promise<RaisedAnomaly | null>;
  /**
   * Many occurrences, of many agents, in one statement (no reopening):
   * the answer at index i is for occurrences[i]. Occurrences of the same
   * open anomaly are folded into one row update and get the same answer.
   */
  recordMany(ex: Executor, occurrences: readonly Occurrence[]): Promise<(RaisedAnomaly | null)[]>;
}

export function createAnomalyRecorder(deps: {
  settings: AnomalySettings;
  notifications: NotificationPort;
  now: () => number;
  onError: (error: unknown) => void;
}): AnomalyRecorder {
  const recorder: AnomalyRecorder = {
    refusedAccess(ex, context, refusal) {
      return recorder.record(ex, context, detectIpNotAllowed(refusal));
    },

    async sequenceGap(ex, context, gap) {
      const { tamper } = await deps.settings.rules(context.projectId, ex);
      return recorder.record(ex, context, detectTamper({ kind: 'sequence_gap', ...gap }, tamper.config));
    },

    async record(ex, context, candidate, options = {}) {
      const setting = (await deps.settings.rules(context.projectId, ex))[candidate.rule];
      if (!setting.enabled) return null;
      const severity = candidate.severity ?? setting.severity;
      const count = options.count ?? 1;
      const base = { projectId: context.projectId, teamId: context.teamId, agentId: context.agentId };

      if (options.reopenWithinMs !== undefined && context.agentId !== null) {
        const reopened = await reopen(ex, context, candidate, {
          count,
          severity,
          since: deps.now() - options.reopenWithinMs,
        });
        if (reopened) {
          await queueAlerts(ex, {
            anomalyId: reopened.id,
            projectId: context.projectId,
            rule: candidate.rule,
            severity,
            event: 'anomaly.status_changed',
            now: deps.now(),
          });
          return {
            ...base,
            id: reopened.id,
            rule: candidate.rule,
            severity,
            opened: false,
            reopened: true,
            count: reopened.count,
          };
        }
      }

      const [raised] = await recorder.recordMany(ex, [{ context, candidate, count }]);
      return raised ?? null;
    },

    async recordMany(ex, occurrences) {
      // What to write: each enabled occurrence, folded by the open row it lands on.
      const rows = new Map<string, AnomalyOccurrence>();
      const rowOf: (string | null)[] = [];
      for (const { context, candidate, count, firstAt } of occurrences) {
        const setting = (await deps.settings.rules(context.projectId, ex))[candidate.rule];
        if (!setting.enabled) {
          rowOf.push(null);
          continue;
        }
        const occurrence: AnomalyOccurrence = {
          ...context,
          rule: candidate.rule,
          severity: candidate.severity ?? setting.severity,
          key: candidate.key,
          at: candidate.at,
          firstAt: Math.min(firstAt ?? candidate.at, candidate.at),
          count,
          evidence: candidate.evidence as unknown as StoredEvidenceRef[],
        };
        const key = occurrenceKey(occurrence);
        rowOf.push(key);
        const same = rows.get(key);
        rows.set(key, same ? foldOccurrences(same, occurrence) : occurrence);
      }
      if (rows.size === 0) return rowOf.map(() => null);

      // One statement: the upserts, and the alerts of the rows that are new.
      const recorded = await queryRows<{
        id: string;
        opened: boolean;
        count: number;
        project_id: string;
        agent_id: string | null;
        rule: RuleId;
        key: string;
        severity: AnomalySeverity;
      }>(
        ex,
        sql`
          with recorded as (${upsertAnomaliesStatement([...rows.values()])}),
          opened as (select * from recorded where opened),
          queued as (${insertAlertsFor(sql`opened`, 'anomaly.opened', deps.now())} returning 1)
          select id, opened, count, project_id, agent_id, rule, key, severity from recorded`,
      );
      const byKey = new Map<string, RaisedAnomaly>();
      for (const row of recorded) {
        const key = occurrenceKey({
          projectId: row.project_id,
          agentId: row.agent_id,
          rule: row.rule,
          key: row.key,
        });
        byKey.set(key, {
          id: row.id,
          projectId: row.project_id,
          teamId: rows.get(key)?.teamId ?? null,
          agentId: row.agent_id,
          rule: row.rule,
          severity: row.severity,
          opened: row.opened,
          reopened: false,
          count: Number(row.count),
        });
      }
      return rowOf.map((key) => {
        if (key === null) return null;
        const raised = byKey.get(key);
        if (!raised) throw new Error('the anomaly upsert returned no row for an occurrence');
        return raised;
      });
    },

    announce(raised) {
      const published = raised.reopened
        ? deps.notifications.publish({
            topic: 'anomaly.status_changed',
            projectId: raised.projectId,
            anomalyId: raised.id,
            status: 'open',
          })
        : deps.notifications.publish({
            topic: 'anomaly.raised',
            projectId: raised.projectId,
            anomalyId: raised.id,
            rule: raised.rule,
            severity: raised.severity,
            agentId: raised.agentId,
            opened: raised.opened,
          });
      published.catch(deps.onError);
    },
  };
  return recorder;
}

/** Two occurrences of one open anomaly, as one: counts add up, evidence up to the cap, the earliest and latest times. */
function foldOccurrences(a: AnomalyOccurrence, b: AnomalyOccurrence): AnomalyOccurrence {
  return {
    ...a,
    at: Math.max(a.at, b.at),
    firstAt: Math.min(a.firstAt ?? a.at, b.firstAt ?? b.at),
    count: (a.count ?? 1) + (b.count ?? 1),
    severity: b.severity,
    evidence: [...a.evidence, ...b.evidence].slice(0, MAX_EVIDENCE_REFS),
  };
}

async function reopen(
  ex: Executor,
  context: AnomalyContext,
  candidate: AnomalyCandidate,
  change: { count: number; severity: AnomalySeverity; since: number },
): Promise<{ id: string; count: number } | null> {
  const at = new Date(candidate.at).toISOString();
  const since = new Date(change.since).toISOString();
  const evidence = JSON.stringify(candidate.evidence satisfies readonly EvidenceRef[]);
  const rows = await queryRows<{ id: string; count: number }>(
    ex,
    sql`
      update anomalies a set
        status = 'open', status_by = null, status_at = null, comment = null,
        count = a.count + ${change.count},
        last_at = greatest(a.last_at, ${at}::timestamptz),
        severity = ${change.severity},
        evidence = case when jsonb_array_length(a.evidence) >= ${MAX_EVIDENCE_REFS} then a.evidence
                        else a.evidence || ${evidence}::jsonb end
      where a.id = (
          select id from anomalies
          where project_id = ${context.projectId} and agent_id = ${context.agentId}
            and rule = ${candidate.rule} and key = ${candidate.key}
            and status = 'resolved' and status_by = 'system' and status_at >= ${since}::timestamptz
          order by status_at desc limit 1)
        and not exists (
          select 1 from anomalies
          where project_id = ${context.projectId} and agent_id = ${context.agentId}
            and rule = ${candidate.rule} and key = ${candidate.key} and status = 'open')
      returning a.id, a.count`,
  );
  const row = rows[0];
  return row ? { id: row.id, count: Number(row.count) } : null;
}
