/**
 * The one way anomalies are written, by the rules engine and by the
 * gateway alike (refused hellos and enrollments, sequence gaps): it applies
 * the project's rule settings (off, severity), folds the occurrence into the
 * open row of the same (agent, rule, key) (upsertAnomaliesStatement()), reopens a
 * row the server itself closed a moment ago (a flapping agent stays one
 * incident), and queues the alerts, all in the caller's transaction. After
 * the commit, announce() tells every process (live push, alert dispatch).
 */
import type { Executor } from '../../db/connect.js';
import type { AnomalyCandidate, RuleId } from '../../domain/rules/anomaly.js';
import { evaluateRules } from '../../domain/rules/rule-dispatch.js';
import type { AnomalyContext, GatewayAnomalies, RaisedAnomaly } from '../../ingest/anomaly-port.js';
import type { NotificationPort } from '../../notifications/notification-port.js';
import { queueAlerts } from '../alerts.repository.js';
import {
  type AnomalyOccurrence,
  MAX_EVIDENCE_REFS,
  occurrenceKey,
  recordOccurrences,
  reopenResolvedBySystem,
} from '../anomalies.repository.js';
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
  /** What the gateway observed, through the rules that listen to it; null when none raised anything. */
  async function recordFirst(
    ex: Executor,
    context: AnomalyContext,
    candidates: readonly AnomalyCandidate[],
  ): Promise<RaisedAnomaly | null> {
    const [candidate] = candidates;
    return candidate ? recorder.record(ex, context, candidate) : null;
  }

  const recorder: AnomalyRecorder = {
    async refusedAccess(ex, context, refusal) {
      const settings = await deps.settings.rules(context.projectId, ex);
      return recordFirst(ex, context, evaluateRules('refused_access', refusal, settings).candidates);
    },

    async sequenceGap(ex, context, gap) {
      const settings = await deps.settings.rules(context.projectId, ex);
      const signal = { kind: 'sequence_gap' as const, ...gap };
      return recordFirst(ex, context, evaluateRules('tamper_signal', signal, settings).candidates);
    },

    async record(ex, context, candidate, options = {}) {
      const setting = (await deps.settings.rules(context.projectId, ex))[candidate.rule];
      if (!setting.enabled) return null;
      const severity = candidate.severity ?? setting.severity;
      const count = options.count ?? 1;
      const base = { projectId: context.projectId, teamId: context.teamId, agentId: context.agentId };

      if (options.reopenWithinMs !== undefined && context.agentId !== null) {
        const reopened = await reopenResolvedBySystem(ex, {
          projectId: context.projectId,
          agentId: context.agentId,
          rule: candidate.rule,
          key: candidate.key,
          severity,
          at: candidate.at,
          evidence: [...candidate.evidence],
          count,
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
          evidence: [...candidate.evidence],
        };
        const key = occurrenceKey(occurrence);
        rowOf.push(key);
        const same = rows.get(key);
        rows.set(key, same ? foldOccurrences(same, occurrence) : occurrence);
      }
      if (rows.size === 0) return rowOf.map(() => null);

      // One statement: the upserts, and the alerts of the rows that are new.
      const recorded = await recordOccurrences(ex, [...rows.values()], deps.now());
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
          rule: row.rule as RuleId,
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
