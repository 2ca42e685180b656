/**
 * recordAudit(): THE way to add an audit entry, for every module.
 *
 *   await recordAudit(tx, { actor: 'user:alice', actorId, action: 'screenshot.view', projectId,
 *                           seatId, target: { kind: 'screenshot', id }, reason, ip }, now());
 *
 * Pass the transaction that makes the change, so the entry commits with it
 * (or with neither). Entries are appended one at a time under a
 * transaction-scoped advisory lock, so several server processes on one
 * PostgreSQL still build one gapless chain; the lock is held until the
 * caller's transaction ends, so keep audited transactions short.
 */
import { MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';
import { and, asc, desc, eq, gt, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { type AuditTarget, auditLog } from '../db/schema/audit.js';
import { type AuditEntry, type AuditOutcome, auditEntryHash, GENESIS_HASH } from './audit-chain.js';

// Any constant works; it only has to be the same in every server process (0x5ea7_0001/2: migrations, retention).
const AUDIT_LOCK_KEY = 0x5ea7_0a0d;
const MAX_REASON = 2000;

export interface AuditInput {
  actor: string;
  actorId?: string | null;
  action: string;
  outcome?: AuditOutcome;
  projectId?: string | null;
  seatId?: string | null;
  caseId?: string | null;
  target?: AuditTarget | null;
  reason?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

const text = (value: string | null | undefined, max: number): string | null =>
  value === null || value === undefined ? null : sanitizeText(value, max);

/** Strings inside details are untrusted too: strip NUL (jsonb cannot hold it) and bound them. */
function cleanDetails(value: unknown): unknown {
  if (typeof value === 'string') return sanitizeText(value, MAX_STRING_LENGTHS.message);
  if (Array.isArray(value)) return value.map(cleanDetails);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (child !== undefined) out[sanitizeText(key, 128)] = cleanDetails(child);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

type AuditRow = typeof auditLog.$inferSelect;

export function toAuditEntry(row: AuditRow): AuditEntry {
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

/** Appends one entry (inside `ex`'s transaction when it is one) and returns it with its seq and hash. */
export async function recordAudit(
  ex: Executor,
  input: AuditInput,
  at: number = Date.now(),
): Promise<AuditEntry> {
  return ex.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`);
    const [last] = await tx
      .select({ seq: auditLog.seq, hash: auditLog.hash })
      .from(auditLog)
      .orderBy(desc(auditLog.seq))
      .limit(1);
    const draft: Omit<AuditEntry, 'hash'> = {
      seq: (last ? Number(last.seq) : 0) + 1,
      at: Math.trunc(at),
      actor: sanitizeText(input.actor, 300),
      actorId: text(input.actorId, 128),
      action: sanitizeText(input.action, 128),
      outcome: input.outcome ?? 'success',
      projectId: text(input.projectId, 128),
      seatId: text(input.seatId, 128),
      caseId: text(input.caseId, 128),
      target: input.target
        ? { kind: sanitizeText(input.target.kind, 64), id: sanitizeText(input.target.id, 256) }
        : null,
      reason: text(input.reason, MAX_REASON),
      ip: text(input.ip, MAX_STRING_LENGTHS.ip),
      details: (cleanDetails(input.details ?? {}) ?? {}) as Record<string, unknown>,
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const entry: AuditEntry = { ...draft, hash: auditEntryHash(draft) };
    await tx.insert(auditLog).values({ ...entry, at: new Date(entry.at) });
    return entry;
  });
}

export interface AuditQuery {
  /** null: every project and the installation-wide entries; else only these projects' entries. */
  projectIds: readonly string[] | null;
  from?: number | undefined;
  to?: number | undefined;
  actor?: string | undefined;
  action?: string | undefined;
  seatId?: string | undefined;
  caseId?: string | undefined;
  /** Entries with a seq below this (newest first paging). */
  beforeSeq?: number | undefined;
  limit: number;
}

/** Newest first. */
export async function listAudit(ex: Executor, query: AuditQuery): Promise<AuditEntry[]> {
  const conditions: SQL[] = [];
  if (query.projectIds !== null) {
    if (query.projectIds.length === 0) return [];
    conditions.push(inArray(auditLog.projectId, [...query.projectIds]));
  }
  if (query.from !== undefined) conditions.push(gte(auditLog.at, new Date(query.from)));
  if (query.to !== undefined) conditions.push(lt(auditLog.at, new Date(query.to)));
  if (query.actor) conditions.push(eq(auditLog.actor, query.actor));
  if (query.action) {
    // 'case' matches 'case' and 'case.*'.
    conditions.push(
      or(eq(auditLog.action, query.action), sql`${auditLog.action} like ${`${likeEscape(query.action)}.%`}`)!,
    );
  }
  if (query.seatId) conditions.push(eq(auditLog.seatId, query.seatId));
  if (query.caseId) conditions.push(eq(auditLog.caseId, query.caseId));
  if (query.beforeSeq !== undefined) conditions.push(lt(auditLog.seq, query.beforeSeq));
  const rows = await ex
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.seq))
    .limit(query.limit);
  return rows.map(toAuditEntry);
}

/** All entries of a case, oldest first (for its evidence bundle). */
export async function caseAuditEntries(ex: Executor, caseId: string): Promise<AuditEntry[]> {
  const rows = await ex.select().from(auditLog).where(eq(auditLog.caseId, caseId)).orderBy(asc(auditLog.seq));
  return rows.map(toAuditEntry);
}

/** Entries of a project (and none of the installation-wide ones), oldest first, in pages. */
export async function projectAuditPage(
  ex: Executor,
  projectId: string,
  afterSeq: number,
  limit: number,
): Promise<AuditEntry[]> {
  const rows = await ex
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.projectId, projectId), gt(auditLog.seq, afterSeq)))
    .orderBy(asc(auditLog.seq))
    .limit(limit);
  return rows.map(toAuditEntry);
}

/** Reads and exports of one seat's data: who looked, when, and why (the operator self-view). */
export async function seatAccessEntries(ex: Executor, seatId: string, limit: number): Promise<AuditEntry[]> {
  const rows = await ex
    .select()
    .from(auditLog)
    .where(eq(auditLog.seatId, seatId))
    .orderBy(desc(auditLog.seq))
    .limit(limit);
  return rows.map(toAuditEntry);
}

export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
