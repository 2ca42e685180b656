/**
 * `seatwatch-server verify-audit`: reads the whole audit log in seq order,
 * in pages, and recomputes the chain. Names the first broken entry, or
 * reports the head (seq and hash) to note down elsewhere: an entry cut
 * off the end of the log is only visible against such a noted head.
 */
import type { Executor } from '../db/connect.js';
import { auditEntriesAfter } from './audit.repository.js';
import { type ChainBreak, type ChainLink, findChainBreak } from './audit-chain.js';

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The last entry checked (the head when ok). */
  head: ChainLink | null;
  firstBreak: ChainBreak | null;
}

export async function verifyAuditLog(ex: Executor, pageSize = 2000): Promise<AuditVerification> {
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
