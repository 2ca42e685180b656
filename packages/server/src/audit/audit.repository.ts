/**
 * Every query of the audit log. Rows leave as AuditEntry (the chain's
 * form, `at` in ms). Nothing here updates or deletes: the table is
 * append-only (a trigger refuses UPDATE, DELETE and TRUNCATE).
 */
import { and, asc, desc, eq, gt, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { rowsOf } from '../db/raw-rows.js';
import { auditLog } from '../db/schema/audit.js';
import type { AuditEntry, AuditOutcome, ChainLink } from './audit-chain.js';

type AuditRow = typeof auditLog.$inferSelect;

// Any constant works; it only has to be the same in every server process (0x5ea7_0001/2: migrations, retention).
const AUDIT_LOCK_KEY = 0x5ea7_0a0d;

function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    seq: Number(row.seq),
    at: row.at.getTime(),
    actor: row.actor,
    actorId: row.actorId,
    action: row.action,
    outcome: row.outcome as AuditOutcome,
    projectId: row.projectId,
    seatId: row.seatId,
    caseId: row.caseId,
    target: row.target ?? null,
    reason: row.reason,
    ip: row.ip,
    details: row.details,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

/**
 * Appends the entry `next` makes from the current end of the chain, one
 * at a time under a transaction-scoped advisory lock, so several server
 * processes on one PostgreSQL still build one gapless chain. Inside `ex`'s
 * transaction when it is one: the lock is held until that transaction ends.
 */
export async function appendAuditEntry(
  ex: Executor,
  next: (last: ChainLink | null) => AuditEntry,
): Promise<AuditEntry> {
  return ex.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
    const [last] = await tx
      .select({ seq: auditLog.seq, hash: auditLog.hash })
      .from(auditLog)
      .orderBy(desc(auditLog.seq))
      .limit(1);
    const entry = next(last ? { seq: Number(last.seq), hash: last.hash } : null);
    await tx.insert(auditLog).values({ ...entry, at: new Date(entry.at) });
    return entry;
  });
}

export interface AuditFilter {
  /** null: every project and the installation-wide entries; else only these projects' entries. */
  projectIds: readonly string[] | null;
  from?: number | undefined;
  to?: number | undefined;
  actor?: string | undefined;
  /** 'case' matches 'case' and 'case.*'. */
  action?: string | undefined;
  seatId?: string | undefined;
  caseId?: string | undefined;
  /** Entries with a seq below this (newest first paging). */
  beforeSeq?: number | undefined;
  limit: number;
}

/** Newest first. */
export async function listAuditEntries(ex: Executor, filter: AuditFilter): Promise<AuditEntry[]> {
  const conditions: SQL[] = [];
  if (filter.projectIds !== null) {
    if (filter.projectIds.length === 0) return [];
    conditions.push(inArray(auditLog.projectId, [...filter.projectIds]));
  }
  if (filter.from !== undefined) conditions.push(gte(auditLog.at, new Date(filter.from)));
  if (filter.to !== undefined) conditions.push(lt(auditLog.at, new Date(filter.to)));
  if (filter.actor) conditions.push(eq(auditLog.actor, filter.actor));
  if (filter.action) {
    conditions.push(
      or(
        eq(auditLog.action, filter.action),
        sql`${auditLog.action} like ${`${likeEscape(filter.action)}.%`}`,
      )!,
    );
  }
  if (filter.seatId) conditions.push(eq(auditLog.seatId, filter.seatId));
  if (filter.caseId) conditions.push(eq(auditLog.caseId, filter.caseId));
  if (filter.beforeSeq !== undefined) conditions.push(lt(auditLog.seq, filter.beforeSeq));
  const rows = await ex
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.seq))
    .limit(filter.limit);
  return rows.map(toAuditEntry);
}

/** All entries of a case, oldest first. */
export async function caseAuditEntries(ex: Executor, caseId: string): Promise<AuditEntry[]> {
  const rows = await ex.select().from(auditLog).where(eq(auditLog.caseId, caseId)).orderBy(asc(auditLog.seq));
  return rows.map(toAuditEntry);
}

/**
 * A page of entries after `afterSeq`, oldest first: of one project (and
 * none of the installation-wide ones) when `projectId` is given, else all.
 */
export async function auditEntriesAfter(
  ex: Executor,
  afterSeq: number,
  limit: number,
  projectId?: string,
): Promise<AuditEntry[]> {
  const after = gt(auditLog.seq, afterSeq);
  const rows = await ex
    .select()
    .from(auditLog)
    .where(projectId === undefined ? after : and(eq(auditLog.projectId, projectId), after))
    .orderBy(asc(auditLog.seq))
    .limit(limit);
  return rows.map(toAuditEntry);
}

/** Reads and exports of one seat's data: who looked, when, and why (the operator self-view), newest first. */
export async function seatAccessEntries(ex: Executor, seatId: string, limit: number): Promise<AuditEntry[]> {
  const rows = await ex
    .select()
    .from(auditLog)
    .where(eq(auditLog.seatId, seatId))
    .orderBy(desc(auditLog.seq))
    .limit(limit);
  return rows.map(toAuditEntry);
}

/** The newest entry of a case among these actions, or null. */
export async function latestCaseEntry(
  ex: Executor,
  caseId: string,
  actions: readonly string[],
): Promise<AuditEntry | null> {
  const [row] = await ex
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.caseId, caseId), inArray(auditLog.action, [...actions])))
    .orderBy(desc(auditLog.seq))
    .limit(1);
  return row ? toAuditEntry(row) : null;
}

/** Whether the database has the audit log at all (a database never migrated has not). */
export async function auditLogExists(ex: Executor): Promise<boolean> {
  const [row] = await rowsOf(ex, sql`select to_regclass('audit_log') is not null as present`, {
    present: Boolean,
  });
  return row?.present === true;
}

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
