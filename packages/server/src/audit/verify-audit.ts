/**
 * `seatwatch-server verify-audit`: reads the whole audit log in seq order,
 * in pages, and recomputes the chain. Names the first broken entry, or
 * reports the head (seq and hash). Given heads seen earlier (signed
 * checkpoints, or a head noted by hand), it also finds what the chain
 * alone cannot show: entries cut off the end (the log ends before a head
 * it once reached) and a rewrite from some entry on with every later hash
 * recomputed (an entry's hash differs from the one a checkpoint saw).
 * It only reads (SELECT on audit_log is all it needs), so it runs as a
 * read-only auditor's role; the CLI opens the database without migrating.
 */
import type { Executor } from '../db/connect.js';
import { auditEntriesAfter, auditLogExists } from './audit.repository.js';
import { type AuditEntry, type ChainBreak, type ChainLink, findChainBreak } from './audit-chain.js';
import type { ChainAnchor } from './audit-checkpoint.js';

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

export interface VerifyOptions {
  /** Heads seen earlier, in any order; each must still be in the log with the same hash. */
  anchors?: readonly ChainAnchor[];
  pageSize?: number;
}

/** The first entry of a page whose hash differs from the one an anchor saw at its seq. */
function anchorBreak(
  page: readonly AuditEntry[],
  anchors: ReadonlyMap<number, readonly ChainAnchor[]>,
  lastMatch: { seq: number } | null,
): ChainBreak | null {
  for (const entry of page) {
    const seen = anchors.get(entry.seq);
    if (!seen) continue;
    const anchor = seen.find((a) => a.hash !== entry.hash);
    if (anchor) {
      const since = lastMatch
        ? `after seq ${lastMatch.seq}, the last entry a checkpoint confirms`
        : 'at or before it';
      return {
        seq: entry.seq,
        problem: `its hash differs from the one ${anchor.source} saw: the log was rewritten ${since}`,
      };
    }
    lastMatch = entry;
  }
  return null;
}

export async function verifyAuditLog(ex: Executor, options: VerifyOptions = {}): Promise<AuditVerification> {
  const pageSize = options.pageSize ?? 2000;
  if (!(await auditLogExists(ex))) {
    throw new NoAuditLogError(
      'the database has no audit_log table: it was never migrated (seatwatch-server migrate, as the owner role)',
    );
  }
  const anchors = new Map<number, ChainAnchor[]>();
  for (const anchor of options.anchors ?? [])
    anchors.set(anchor.seq, [...(anchors.get(anchor.seq) ?? []), anchor]);
  let previous = null as ChainLink | null;
  let lastMatch = null as { seq: number } | null;
  let entries = 0;
  for (;;) {
    const page = await auditEntriesAfter(ex, previous?.seq ?? 0, pageSize);
    const chained = findChainBreak(page, previous);
    const anchored = anchorBreak(page, anchors, lastMatch);
    const broken = [chained, anchored]
      .filter((b): b is ChainBreak => b !== null)
      .sort((x, y) => x.seq - y.seq)[0];
    if (broken)
      return {
        ok: false,
        entries: entries + page.findIndex((e) => e.seq === broken.seq),
        head: previous,
        firstBreak: broken,
      };
    entries += page.length;
    for (const entry of page) if (anchors.has(entry.seq)) lastMatch = entry;
    const last = page.at(-1);
    if (last) previous = { seq: last.seq, hash: last.hash };
    if (page.length < pageSize) break;
  }
  // Entries cut off the end: the log stops before a head an anchor saw.
  const furthest = [...(options.anchors ?? [])].sort((x, y) => y.seq - x.seq)[0];
  const end = previous?.seq ?? 0;
  if (furthest && furthest.seq > end) {
    return {
      ok: false,
      entries,
      head: previous,
      firstBreak: {
        seq: end + 1,
        problem: `${furthest.seq === end + 1 ? `entry ${end + 1} is` : `entries ${end + 1}–${furthest.seq} are`} missing from the end: ${furthest.source} saw the log reach seq ${furthest.seq}`,
      },
    };
  }
  return { ok: true, entries, head: previous, firstBreak: null };
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
