/**
 * recordAudit(): THE way to add an audit entry, for every module.
 *
 *   await recordAudit(tx, { actor: 'user:alice', actorId, action: 'screenshot.view', projectId,
 *                           seatId, target: { kind: 'screenshot', id }, reason, ip }, now());
 *
 * Pass the transaction that makes the change, so the entry commits with it
 * (or with neither). Entries are appended one at a time under a lock on
 * the chain's head row (audit.repository.ts), so several server processes
 * on one PostgreSQL still build one gapless chain; the lock is held until
 * the caller's transaction ends, so keep audited transactions short.
 */
import { MAX_STRING_LENGTHS, sanitizeText } from '@seatwatch/shared';
import type { AuditPage } from '@seatwatch/shared/dashboard-api';
import type { Executor } from '../db/connect.js';
import {
  type AuditFilter,
  appendAuditEntry,
  auditEntriesAfter,
  listAuditEntries,
} from './audit.repository.js';
import { type AuditEntry, type AuditOutcome, type AuditTarget, chainEntry } from './audit-chain.js';

// Other features read a case's and a seat's entries (evidence bundles, the operator self-view).
export { caseAuditEntries, latestCaseEntry, latestSeatEntry } from './audit.repository.js';

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

/** Appends one entry (inside `ex`'s transaction when it is one) and returns it with its seq and hash. */
export async function recordAudit(
  ex: Executor,
  input: AuditInput,
  at: number = Date.now(),
): Promise<AuditEntry> {
  return appendAuditEntry(ex, (last) =>
    chainEntry(last, {
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
    }),
  );
}

/** One page of the log, newest first; nextBeforeSeq asks for the older page after it. */
export async function auditPage(ex: Executor, filter: AuditFilter): Promise<AuditPage> {
  const entries = await listAuditEntries(ex, { ...filter, limit: filter.limit + 1 });
  const page = entries.slice(0, filter.limit);
  return { entries: page, nextBeforeSeq: entries.length > filter.limit ? page.at(-1)!.seq : null };
}

const PROJECT_PAGE = 5000;

/** Every entry of a project (none of the installation-wide ones), oldest first. */
export async function projectAuditEntries(ex: Executor, projectId: string): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for (;;) {
    const page = await auditEntriesAfter(ex, all.at(-1)?.seq ?? 0, PROJECT_PAGE, projectId);
    all.push(...page);
    if (page.length < PROJECT_PAGE) return all;
  }
}
