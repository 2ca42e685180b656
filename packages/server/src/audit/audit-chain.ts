/**
 * The audit chain: how an entry is serialised and hashed, and how a run
 * of entries is checked. Each entry's hash is SHA-256 over the canonical
 * JSON of all its fields plus the previous entry's hash, so changing,
 * removing or reordering any entry breaks every hash after it.
 *
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace,
 * strings and numbers as JSON.stringify writes them, `at` as integer
 * milliseconds. The same bytes come back from PostgreSQL (jsonb reorders
 * keys; sorting undoes that).
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** What an entry is about, e.g. { kind: 'screenshot', id: '42' }; the audit_log.target column holds it. */
export interface AuditTarget {
  kind: string;
  id: string;
}

/** Everything an entry holds, as hashed. */
export interface AuditEntry {
  seq: number;
  /** ms since the epoch. */
  at: number;
  actor: string;
  actorId: string | null;
  action: string;
  outcome: AuditOutcome;
  projectId: string | null;
  seatId: string | null;
  caseId: string | null;
  target: AuditTarget | null;
  reason: string | null;
  ip: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditOutcome = 'success' | 'refused' | 'failed';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number');
    if (value === undefined) throw new TypeError('undefined has no JSON form');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value)
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

/** SHA-256 (hex) of the entry's canonical form; `hash` itself is left out, `prevHash` is in. */
export function auditEntryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const {
    seq,
    at,
    actor,
    actorId,
    action,
    outcome,
    projectId,
    seatId,
    caseId,
    target,
    reason,
    ip,
    details,
    prevHash,
  } = entry;
  const canonical = canonicalJson({
    v: 1,
    seq,
    at,
    actor,
    actorId,
    action,
    outcome,
    projectId,
    seatId,
    caseId,
    target,
    reason,
    ip,
    details,
    prevHash,
  });
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** Where the chain stands: the last entry's seq and hash. */
export interface ChainLink {
  seq: number;
  hash: string;
}

/** The next entry after `previous` (null: the first entry), with its seq, prev_hash and hash. */
export function chainEntry(
  previous: ChainLink | null,
  fields: Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>,
): AuditEntry {
  const draft: Omit<AuditEntry, 'hash'> = {
    seq: (previous?.seq ?? 0) + 1,
    ...fields,
    prevHash: previous?.hash ?? GENESIS_HASH,
  };
  return { ...draft, hash: auditEntryHash(draft) };
}

export interface ChainBreak {
  seq: number;
  problem: string;
}

/**
 * Checks entries in seq order, continuing from `previous` (the last good
 * entry of an earlier run, or null at the start). Returns the first break.
 */
export function findChainBreak(entries: Iterable<AuditEntry>, previous: ChainLink | null): ChainBreak | null {
  let expectedSeq = (previous?.seq ?? 0) + 1;
  let prevHash = previous?.hash ?? GENESIS_HASH;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) {
      return {
        seq: entry.seq,
        problem:
          entry.seq === expectedSeq + 1
            ? `entry ${expectedSeq} is missing`
            : entry.seq > expectedSeq
              ? `entries ${expectedSeq}–${entry.seq - 1} are missing`
              : `seq ${entry.seq} is out of order (expected ${expectedSeq})`,
      };
    }
    if (entry.prevHash !== prevHash) {
      return { seq: entry.seq, problem: 'prev_hash does not match the hash of the entry before it' };
    }
    if (auditEntryHash(entry) !== entry.hash) {
      return { seq: entry.seq, problem: 'content does not match its hash (the entry was changed)' };
    }
    prevHash = entry.hash;
    expectedSeq++;
  }
  return null;
}
