/**
 * Anomaly rows. upsertAnomaliesStatement() is the one way to raise one (the
 * anomaly recorder runs it, through recordOccurrences()): it inserts, or
 * adds an occurrence to the OPEN row of the same (project, agent, rule,
 * key) — the partial unique index anomalies_one_open_uq makes that atomic.
 * Status changes queue their alerts in the same transaction or statement.
 */

import { randomUUID } from 'node:crypto';
import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Db, type Executor, queryRows } from '../db/connect.js';
import { databaseErrorCode, UNIQUE_VIOLATION } from '../db/database-error-code.js';
import {
  type AnomalySeverity,
  type AnomalyStatus,
  anomalies,
  type EvidenceRef,
  type screenshots,
  seats,
} from '../db/schema/index.js';
import { scopeCondition } from '../db/scope-condition.js';
import type { Scope } from '../domain/authz-policy.js';
import { insertAlertsFor, queueAlerts } from './alerts.repository.js';
import type { RawRow } from './raw-row.js';

export type AnomalyRow = typeof anomalies.$inferSelect;
/** Where an anomaly belongs, for the authorization policy. */
export type AnomalyPlace = Pick<AnomalyRow, 'projectId' | 'teamId'>;

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

/** What the upsert returns (see upsertAnomaliesStatement). */
export type RecordedRow = RawRow<
  Pick<AnomalyRow, 'id' | 'count' | 'projectId' | 'agentId' | 'rule' | 'key' | 'severity'>
> & { opened: boolean };

/**
 * The occurrences (distinct in project, agent, rule and key) and the alerts
 * of the rows that are new, in one statement: this is the write the engine
 * makes for nearly every occurrence (docs/benchmarks.md "Anomaly rules overhead").
 */
export function recordOccurrences(
  ex: Executor,
  occurrences: readonly AnomalyOccurrence[],
  now: number,
): Promise<RecordedRow[]> {
  return queryRows<RecordedRow>(
    ex,
    sql`
          with recorded as (${upsertAnomaliesStatement(occurrences)}),
          opened as (select * from recorded where opened),
          queued as (${insertAlertsFor(sql`opened`, 'anomaly.opened', now)} returning 1)
          select id, opened, count, project_id, agent_id, rule, key, severity from recorded`,
  );
}

/**
 * Opens again the row of this (agent, rule, key) that the server itself
 * resolved since `since`, unless another one is open; null when there is
 * none. The caller queues its alerts.
 */
export async function reopenResolvedBySystem(
  ex: Executor,
  target: Pick<
    AnomalyOccurrence,
    'projectId' | 'agentId' | 'rule' | 'key' | 'severity' | 'at' | 'evidence'
  > & {
    count: number;
    since: number;
  },
): Promise<Pick<AnomalyRow, 'id' | 'count'> | null> {
  const at = new Date(target.at).toISOString();
  const since = new Date(target.since).toISOString();
  const evidence = JSON.stringify(target.evidence);
  const rows = await queryRows<RawRow<Pick<AnomalyRow, 'id' | 'count'>>>(
    ex,
    sql`
      update anomalies a set
        status = 'open', status_by = null, status_at = null, comment = null,
        count = a.count + ${target.count},
        last_at = greatest(a.last_at, ${at}::timestamptz),
        severity = ${target.severity},
        evidence = case when jsonb_array_length(a.evidence) >= ${MAX_EVIDENCE_REFS} then a.evidence
                        else a.evidence || ${evidence}::jsonb end
      where a.id = (
          select id from anomalies
          where project_id = ${target.projectId} and agent_id = ${target.agentId}
            and rule = ${target.rule} and key = ${target.key}
            and status = 'resolved' and status_by = 'system' and status_at >= ${since}::timestamptz
          order by status_at desc limit 1)
        and not exists (
          select 1 from anomalies
          where project_id = ${target.projectId} and agent_id = ${target.agentId}
            and rule = ${target.rule} and key = ${target.key} and status = 'open')
      returning a.id, a.count`,
  );
  const row = rows[0];
  return row ? { id: row.id, count: Number(row.count) } : null;
}

/** Recorded as status_by when the server changed the status itself. */
export const SYSTEM_ACTOR = 'system';

/**
 * Sets the status of one anomaly and queues its alerts, in one
 * transaction. `conflict`: the unique index refused a reopen (another open
 * anomaly of the same agent, rule and key exists).
 */
export async function setAnomalyStatus(
  db: Db,
  change: { id: string; status: AnomalyStatus; comment: string; by: string; now: number },
): Promise<AnomalyRow | 'not_found' | 'conflict'> {
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
      if (!row) return 'not_found';
      await queueAlerts(tx, {
        anomalyId: row.id,
        projectId: row.projectId,
        rule: row.rule,
        severity: row.severity,
        event: 'anomaly.status_changed',
        now: change.now,
      });
      return row;
    });
  } catch (error) {
    if (databaseErrorCode(error) === UNIQUE_VIOLATION) return 'conflict';
    throw error;
  }
}

export type ResolvedRow = Pick<AnomalyRow, 'id' | 'projectId' | 'status'>;

/**
 * Closes what the agents' return ends (open or acknowledged), with its
 * alerts, in one statement: it runs for every hello (for the hellos of a
 * turn together), and usually finds nothing to close.
 */
export async function resolveBySystem(
  ex: Executor,
  target: {
    agentIds: readonly string[];
    rules: readonly string[];
    key?: string;
    comment: string;
    now: number;
  },
): Promise<ResolvedRow[]> {
  const at = new Date(target.now).toISOString();
  const rows = await queryRows<RawRow<ResolvedRow>>(
    ex,
    sql`
      with resolved as (
        update anomalies
        set status = 'resolved', status_by = ${SYSTEM_ACTOR}, status_at = ${at}::timestamptz,
            comment = ${target.comment}
        where agent_id in (select jsonb_array_elements_text(${JSON.stringify(target.agentIds)}::jsonb))
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

export async function findAnomaly(ex: Executor, id: string): Promise<AnomalyRow | null> {
  const [row] = await ex.select().from(anomalies).where(eq(anomalies.id, id));
  return row ?? null;
}

export async function findAnomalyPlace(ex: Executor, id: string): Promise<AnomalyPlace | null> {
  const [row] = await ex
    .select({ projectId: anomalies.projectId, teamId: anomalies.teamId })
    .from(anomalies)
    .where(eq(anomalies.id, id));
  return row ?? null;
}

export interface AnomalyPageFilter {
  /** What the viewer may see. */
  readonly scope: Scope;
  readonly projectId?: string | undefined;
  readonly teamId?: string | undefined;
  readonly seatId?: string | undefined;
  readonly agentId?: string | undefined;
  readonly statuses: readonly AnomalyStatus[] | null;
  readonly rules: readonly string[] | null;
  readonly severities: readonly AnomalySeverity[] | null;
  /** lastAt at or after. */
  readonly from?: number | undefined;
  /** firstAt before. */
  readonly to?: number | undefined;
  /** The last row of the previous page: rows sort by lastAt, then id, both descending. */
  readonly after: { lastAt: Date; id: string } | null;
  readonly limit: number;
}

export function listAnomalyPage(ex: Executor, q: AnomalyPageFilter): Promise<AnomalyRow[]> {
  const conditions: SQL[] = [scopeCondition(q.scope, sql`${anomalies.projectId}`, sql`${anomalies.teamId}`)];
  if (q.projectId) conditions.push(eq(anomalies.projectId, q.projectId));
  if (q.teamId) conditions.push(eq(anomalies.teamId, q.teamId));
  if (q.seatId) conditions.push(eq(anomalies.seatId, q.seatId));
  if (q.agentId) conditions.push(eq(anomalies.agentId, q.agentId));
  if (q.statuses) conditions.push(inArray(anomalies.status, [...q.statuses]));
  if (q.rules) conditions.push(inArray(anomalies.rule, [...q.rules]));
  if (q.severities) conditions.push(inArray(anomalies.severity, [...q.severities]));
  if (q.from !== undefined) conditions.push(gte(anomalies.lastAt, new Date(q.from)));
  if (q.to !== undefined) conditions.push(lt(anomalies.firstAt, new Date(q.to)));
  if (q.after) {
    const { lastAt, id } = q.after;
    conditions.push(
      or(lt(anomalies.lastAt, lastAt), and(eq(anomalies.lastAt, lastAt), lt(anomalies.id, id)))!,
    );
  }
  return ex
    .select()
    .from(anomalies)
    .where(and(...conditions))
    .orderBy(desc(anomalies.lastAt), desc(anomalies.id))
    .limit(q.limit);
}

/** The names of the given seats, in one query. */
export async function seatNames(ex: Executor, seatIds: readonly string[]): Promise<Map<string, string>> {
  if (seatIds.length === 0) return new Map();
  const rows = await ex
    .select({ id: seats.id, name: seats.name })
    .from(seats)
    .where(inArray(seats.id, [...seatIds]));
  return new Map(rows.map((s) => [s.id, s.name] as const));
}

export type NearbyScreenshotRow = Pick<typeof screenshots.$inferSelect, 'id' | 'time'>;

/** The seat's screenshots just before and after each of the given times, oldest first. */
export async function screenshotsAround(
  ex: Executor,
  seatId: string,
  times: readonly number[],
): Promise<NearbyScreenshotRow[]> {
  const around = times.map(
    (t) => sql`
      (select id, time from screenshots where seat_id = ${seatId} and time <= ${new Date(t).toISOString()}::timestamptz
       order by time desc limit 1)
      union
      (select id, time from screenshots where seat_id = ${seatId} and time > ${new Date(t).toISOString()}::timestamptz
       order by time asc limit 1)`,
  );
  const rows = await queryRows<RawRow<NearbyScreenshotRow>>(
    ex,
    sql`select distinct id, time from (${sql.join(around, sql` union `)}) s order by time`,
  );
  return rows.map((r) => ({ id: Number(r.id), time: new Date(r.time) }));
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
