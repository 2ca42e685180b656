/**
 * The hash rule of docs/investigation.md ("The hash rule") is complete: this
 * file recomputes every entry's hash from the raw rows the server wrote,
 * with its own code written from that text alone (node:crypto, a
 * hand-written canonical JSON), on PGlite and PostgreSQL. It imports
 * nothing of the server's chain code, so a field, a key order or an escape
 * the docs leave out makes it fail. Likewise it checks the signature of a
 * checkpoint the server wrote ("Checkpoints") by the documented bytes alone.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyPairFromSeed, toBase64 } from '@seatwatch/shared';
import { nodeCryptoSigner } from '@seatwatch/shared/node-crypto';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditCheckpointer } from '../../src/audit/audit-checkpointer.js';
import { recordAudit } from '../../src/audit/audit-log.js';
import { fileCheckpointSink } from '../../src/audit/checkpoint-sinks.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings as the docs say: \" \\ \b \t \n \f \r, other characters below U+0020 as \u00xx, the rest as is. */
function jsonString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (code === 0x08) out += '\\b';
    else if (code === 0x09) out += '\\t';
    else if (code === 0x0a) out += '\\n';
    else if (code === 0x0c) out += '\\f';
    else if (code === 0x0d) out += '\\r';
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Keys compared as sequences of UTF-16 code units. */
function byCodeUnits(a: string, b: string): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const diff = a.charCodeAt(i) - b.charCodeAt(i);
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}

function canonical(value: Json): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('not JSON');
    return Object.is(value, -0) ? '0' : String(value);
  }
  if (typeof value === 'string') return jsonString(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).sort(byCodeUnits);
  return `{${keys.map((key) => `${jsonString(key)}:${canonical(value[key]!)}`).join(',')}}`;
}

interface RawRow {
  seq: string | number;
  at_ms: string | number;
  actor: string;
  actor_id: string | null;
  action: string;
  outcome: string;
  project_id: string | null;
  seat_id: string | null;
  case_id: string | null;
  target: Json;
  reason: string | null;
  ip: string | null;
  details: Json;
  prev_hash: string;
  hash: string;
}

/** The documented H of a row, hashed (withoutV: the rule as the docs stated it before issue #11). */
function documentedHash(row: RawRow, options: { withoutV?: boolean } = {}): string {
  const h: { [key: string]: Json } = {
    v: 1,
    seq: Number(row.seq),
    at: Number(row.at_ms),
    actor: row.actor,
    actorId: row.actor_id,
    action: row.action,
    outcome: row.outcome,
    projectId: row.project_id,
    seatId: row.seat_id,
    caseId: row.case_id,
    target: row.target,
    reason: row.reason,
    ip: row.ip,
    details: row.details,
    prevHash: row.prev_hash,
  };
  if (options.withoutV) delete h.v;
  return createHash('sha256')
    .update(Buffer.from(canonical(h), 'utf8'))
    .digest('hex');
}

describe.each(DB_KINDS)('the documented audit hash rule on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  async function rawRows(): Promise<RawRow[]> {
    const result = (await db.database.db.execute(
      sql`select seq, (extract(epoch from at) * 1000)::bigint as at_ms, actor, actor_id, action, outcome,
                 project_id, seat_id, case_id, target, reason, ip, details, prev_hash, hash
          from audit_log order by seq`,
    )) as unknown as { rows: RawRow[] };
    return result.rows;
  }

  it('recomputes every hash and link of entries the server wrote, from the docs alone', async () => {
    const db0 = db.database.db;
    await recordAudit(db0, { actor: 'system', action: 'retention.run' }, 1_700_000_000_123);
    await recordAudit(
      db0,
      {
        actor: 'user:müller',
        actorId: 'u-1',
        action: 'screenshot.view',
        outcome: 'refused',
        projectId: 'p-1',
        seatId: 's-1',
        caseId: 'c-1',
        target: { kind: 'screenshot', id: '42' },
        reason: 'Ticket "4711" \\ path/to\tnext\nline \u0001\u001f\u007f — 😀',
        ip: '10.0.0.7',
        details: {
          // Ordered by UTF-16 code units, 😀 (U+D83D U+DE00) sorts before ｡ (U+FF61); by code point it would not.
          '｡': 1,
          '😀': 2,
          B: [3, -4, 1.5, true, false, null, { z: 'ä', a: '' }],
          a: { nested: { deeper: 'x' } },
          big: 1e21,
          empty: {},
        },
      },
      1_700_000_000_456,
    );
    await recordAudit(db0, { actor: 'cli', action: 'offboard.export', details: {} }, 1_700_000_000_789);

    const rows = await rawRows();
    expect(rows.length).toBe(3);
    let prev = '0'.repeat(64);
    for (const row of rows) {
      expect(row.prev_hash).toBe(prev);
      expect(documentedHash(row)).toBe(row.hash);
      prev = row.hash;
    }
    expect(Number(rows[1]!.at_ms)).toBe(1_700_000_000_456);
  });

  it('is no rubber stamp: a changed field, or H without its "v" member, gives another hash', async () => {
    const [row] = await rawRows();
    expect(documentedHash(row!)).toBe(row!.hash);
    expect(documentedHash({ ...row!, actor: 'user:someone-else' })).not.toBe(row!.hash);
    expect(documentedHash({ ...row!, at_ms: Number(row!.at_ms) + 1 })).not.toBe(row!.hash);
    expect(documentedHash(row!, { withoutV: true })).not.toBe(row!.hash);
  });

  it("verifies a checkpoint the server signed, from the docs' checkpoint rule alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'seatwatch-hash-rule-'));
    try {
      const seed = randomBytes(32);
      const file = join(dir, 'checkpoints.jsonl');
      await createAuditCheckpointer({
        db: db.database.db,
        signer: nodeCryptoSigner(keyPairFromSeed(seed).secretKey),
        now: () => 1_700_000_001_000,
        intervalMs: 0,
        sinks: [fileCheckpointSink(file)],
        logger: { info() {}, warn() {}, error() {} },
      }).checkpoint();
      const line = JSON.parse((await readFile(file, 'utf8')).trim()) as { [key: string]: Json };
      const rows = await rawRows();
      expect(line).toMatchObject({ v: 1, seq: rows.length, hash: rows.at(-1)!.hash, at: 1_700_000_001_000 });
      // The docs: "seatwatch/1 audit checkpoint", a line feed, canonical JSON of {at, hash, seq, v}.
      const signed = (checkpoint: { [key: string]: Json }) =>
        Buffer.from(
          `seatwatch/1 audit checkpoint\n${canonical({ at: checkpoint.at!, hash: checkpoint.hash!, seq: checkpoint.seq!, v: checkpoint.v! })}`,
          'utf8',
        );
      // An Ed25519 public key as SPKI: the fixed RFC 8410 prefix, then the 32 key bytes.
      const key = createPublicKey({
        key: Buffer.concat([
          Buffer.from('302a300506032b6570032100', 'hex'),
          Buffer.from(String(line.key), 'base64'),
        ]),
        format: 'der',
        type: 'spki',
      });
      const signature = Buffer.from(String(line.sig), 'base64');
      expect(verify(null, signed(line), key, signature)).toBe(true);
      expect(verify(null, signed({ ...line, seq: Number(line.seq) + 1 }), key, signature)).toBe(false);
      expect(line.key).toBe(toBase64(keyPairFromSeed(seed).publicKey));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
