/**
 * Every query of the audit log. Rows leave as AuditEntry (the chain's
 * form, `at` in ms). Nothing here updates or deletes: the table is
 * append-only (a trigger refuses UPDATE, DELETE and TRUNCATE).
 */
import { and, asc, desc, eq, gt, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { rowsOf } from '../db/raw-rows.js';
import { auditChainHead, auditLog } from '../db/schema/audit.js';
import type { AuditEntry, AuditOutcome, ChainLink } from './audit-chain.js';

type AuditRow = typeof auditLog.$inferSelect;

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
 * Appends the entry `next` makes from the chain's head (audit_chain_head)
 * and moves the head forward. Locking the head row makes appends one at a
 * time, so several server processes on one PostgreSQL still build one
 * chain; inside `ex`'s transaction when it is one, the lock is held until
 * that transaction ends. The head, not max(seq) of the table, gives the
 * next number: entries cut off the end never have their numbers reused.
 */
export async function appendAuditEntry(
  ex: Executor,
  next: (last: ChainLink) => AuditEntry,
): Promise<AuditEntry> {
  return ex.transaction(async (tx) => {
    const [head] = await tx
      .select({ seq: auditChainHead.seq, hash: auditChainHead.hash })
      .from(auditChainHead)
      .for('update');
    if (!head) throw new Error('audit_chain_head has no row: the database was not migrated (0008)');
    const entry = next({ seq: Number(head.seq), hash: head.hash });
    await tx.insert(auditLog).values({ ...entry, at: new Date(entry.at) });
    await tx.update(auditChainHead).set({ seq: entry.seq, hash: entry.hash });
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
  if (filter.seatId) {
    // A look at several seats at once (the visual timeline's summary) names each in details.seats.
    const named = JSON.stringify([{ id: filter.seatId }]);
    conditions.push(
      or(
        eq(auditLog.seatId, filter.seatId),
        sql`(${auditLog.seatId} is null and ${auditLog.details}->'seats' @> ${named}::jsonb)`,
      )!,
    );
  }
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

/** The newest entry of a seat among these actions, or null (a seat's own legal hold: cases/legal-hold.ts). */
export async function latestSeatEntry(
  ex: Executor,
  seatId: string,
  actions: readonly string[],
): Promise<AuditEntry | null> {
  const [row] = await ex
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.seatId, seatId), inArray(auditLog.action, [...actions])))
    .orderBy(desc(auditLog.seq))
    .limit(1);
  return row ? toAuditEntry(row) : null;
}

/** The chain's head as appends left it (seq 0 and 64 zeros before the first entry). */
export async function chainHead(ex: Executor): Promise<ChainLink> {
  const [head] = await ex.select({ seq: auditChainHead.seq, hash: auditChainHead.hash }).from(auditChainHead);
  if (!head) throw new Error('audit_chain_head has no row: the database was not migrated (0008)');
  return { seq: Number(head.seq), hash: head.hash };
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
