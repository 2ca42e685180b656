/**
 * Checkpoints of the audit chain (issue #11): the head (seq and hash) at a
 * time, signed with the server key, which lives in the data folder or the
 * environment and never in the database. Sent out of the database (a file,
 * syslog, a webhook, a time-stamp authority), they let `verify-audit` see
 * what the chain alone cannot: entries cut off the end, and a chain
 * rewritten from some entry on with every later hash recomputed.
 *
 * One checkpoint is one line of JSON:
 *
 *   {"at":…,"hash":"…","key":"…","seq":…,"sig":"…","tst":"…","v":1}
 *
 * `sig` is Ed25519 (base64) by `key` (the server's public key, base64)
 * over the UTF-8 bytes of "seatwatch/1 audit checkpoint\n" followed by the
 * canonical JSON (audit-chain.ts) of {"at","hash","seq","v"}; `at` is
 * milliseconds since the epoch. The prefix keeps the signature from ever
 * verifying as a protocol message or a webhook. `tst`, when present, is an
 * RFC 3161 time-stamp response (DER, base64) over SHA-256 of those bytes.
 */
import { type Ed25519Signer, type Ed25519Verifier, fromBase64, toBase64 } from '@seatwatch/shared';
import { type ChainLink, canonicalJson } from './audit-chain.js';

const encoder = new TextEncoder();
const PREFIX = 'seatwatch/1 audit checkpoint\n';

export interface AuditCheckpoint {
  v: 1;
  seq: number;
  hash: string;
  /** ms since the epoch. */
  at: number;
}

export interface SignedCheckpoint extends AuditCheckpoint {
  /** base64 Ed25519 public key. */
  key: string;
  /** base64 Ed25519 signature over checkpointMessage(). */
  sig: string;
  /** base64 DER RFC 3161 TimeStampResp over SHA-256 of checkpointMessage(). */
  tst?: string;
}

/** The signed bytes. */
export function checkpointMessage(checkpoint: AuditCheckpoint): Uint8Array {
  const { v, seq, hash, at } = checkpoint;
  return encoder.encode(PREFIX + canonicalJson({ v, seq, hash, at }));
}

export function signCheckpoint(signer: Ed25519Signer, head: ChainLink, at: number): SignedCheckpoint {
  const checkpoint: AuditCheckpoint = { v: 1, seq: head.seq, hash: head.hash, at: Math.trunc(at) };
  return {
    ...checkpoint,
    key: toBase64(signer.publicKey),
    sig: toBase64(signer.sign(checkpointMessage(checkpoint))),
  };
}

export function checkpointLine(checkpoint: SignedCheckpoint): string {
  return canonicalJson(checkpoint);
}

/** A head to check the log against: from a checkpoint (its source says which line) or typed by hand. */
export interface ChainAnchor extends ChainLink {
  source: string;
  /** The signed checkpoint it came from (none for a head typed by hand). */
  checkpoint?: SignedCheckpoint;
}

export interface ParsedCheckpoints {
  anchors: ChainAnchor[];
  /** Lines that are no checkpoint, or whose signature does not verify: each makes the verification fail. */
  problems: string[];
}

const HASH = /^[0-9a-f]{64}$/;

function asCheckpoint(value: unknown): SignedCheckpoint | null {
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  const ok =
    c.v === 1 &&
    Number.isSafeInteger(c.seq) &&
    (c.seq as number) >= 0 &&
    typeof c.hash === 'string' &&
    HASH.test(c.hash) &&
    Number.isSafeInteger(c.at) &&
    typeof c.key === 'string' &&
    typeof c.sig === 'string' &&
    (c.tst === undefined || typeof c.tst === 'string');
  return ok ? (c as unknown as SignedCheckpoint) : null;
}

/**
 * Reads a checkpoint file. Each line's signature is checked with
 * `pinnedKey` when given (a line signed by any other key is a problem),
 * else with the key the line names.
 */
export function parseCheckpoints(
  text: string,
  fileName: string,
  verifier: Ed25519Verifier,
  pinnedKey: Uint8Array | null,
): ParsedCheckpoints {
  const anchors: ChainAnchor[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${fileName} line ${index + 1}`;
    let checkpoint: SignedCheckpoint | null = null;
    try {
      checkpoint = asCheckpoint(JSON.parse(line));
    } catch {
      checkpoint = null;
    }
    if (!checkpoint) {
      problems.push(`${where} is not an audit checkpoint`);
      return;
    }
    let signed = false;
    try {
      const key = fromBase64(checkpoint.key, 32);
      const keyOk = pinnedKey === null || toBase64(pinnedKey) === toBase64(key);
      signed = keyOk && verifier.verify(checkpointMessage(checkpoint), fromBase64(checkpoint.sig, 64), key);
    } catch {
      signed = false;
    }
    if (!signed) {
      problems.push(
        `${where}: the signature does not verify${pinnedKey ? ' with the pinned server key' : ''}`,
      );
      return;
    }
    anchors.push({
      seq: checkpoint.seq,
      hash: checkpoint.hash,
      source: `the checkpoint of ${new Date(checkpoint.at).toISOString()} (${where})`,
      checkpoint,
    });
  });
  return { anchors, problems };
}

/** `--head SEQ:HASH`, a head noted by hand. */
export function parseHead(text: string): ChainAnchor | null {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  if (!match) return null;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq)
    ? { seq, hash: match[2]!, source: `the head given (--head ${seq}:…)` }
    : null;
}
