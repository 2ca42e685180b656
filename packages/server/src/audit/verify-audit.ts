/**
 * `seatwatch-server verify-audit`: reads the whole audit log in seq order,
 * in pages, and recomputes the chain. Names the first broken entry, or
 * reports the head (seq and hash) to note down elsewhere: an entry cut
 * off the end of the log is only visible against such a noted head.
 * It only reads (SELECT on audit_log is all it needs), so it runs as a
 * read-only auditor's role; the CLI opens the database without migrating.
 */
import type { Executor } from '../db/connect.js';
import { auditEntriesAfter, auditLogExists } from './audit.repository.js';
import { type ChainBreak, type ChainLink, findChainBreak } from './audit-chain.js';

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The last entry checked (the head when ok). */
  head: ChainLink | null;
  firstBreak: ChainBreak | null;
}

/** The database has no audit log to verify: it was never migrated, or is not Seatwatch's. */
export class NoAuditLogError extends Error {
  override name = 'NoAuditLogError';
}

export async function verifyAuditLog(ex: Executor, pageSize = 2000): Promise<AuditVerification> {
  if (!(await auditLogExists(ex))) {
    throw new NoAuditLogError(
      'the database has no audit_log table: it was never migrated (seatwatch-server migrate, as the owner role)',
    );
  }
  let previous = null as ChainLink | null;
  let entries = 0;
  for (;;) {
    const page = await auditEntriesAfter(ex, previous?.seq ?? 0, pageSize);
    const broken = findChainBreak(page, previous);
    if (broken)
      return {
        ok: false,
        entries: entries + page.findIndex((e) => e.seq === broken.seq),
        head: previous,
        firstBreak: broken,
      };
    entries += page.length;
    const last = page.at(-1);
    if (last) previous = { seq: last.seq, hash: last.hash };
    if (page.length < pageSize) return { ok: true, entries, head: previous, firstBreak: null };
  }
}

export function describeVerification(result: AuditVerification): string {
  if (result.ok) {
    return result.head
      ? `audit log OK: ${result.entries} entries, head seq ${result.head.seq} hash ${result.head.hash}`
      : 'audit log OK: no entries yet';
  }
  const broken = result.firstBreak!;
  return `audit log BROKEN at entry seq ${broken.seq}: ${broken.problem} (${result.entries} entries before it verify)`;
}
