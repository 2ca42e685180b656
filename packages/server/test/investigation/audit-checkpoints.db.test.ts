/**
 * Anchored audit chain (issue #11): signed checkpoints of the chain's head,
 * written out of the database, let verify-audit find what the chain alone
 * cannot: entries cut off the end, and a rewrite with every later hash
 * recomputed; a deletion in the middle too. Each names the first bad
 * point. On both databases; the command line as a SELECT-only role, and
 * the checkpoints a running server sends (file, syslog, webhook), on
 * PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBase64, keyPairFromSeed } from '@seatwatch/shared';
import { createNodeCryptoVerifier, nodeCryptoSigner } from '@seatwatch/shared/node-crypto';
import { until } from '@seatwatch/testkit';
import {
  createTestDatabase,
  DB_KINDS,
  POSTGRES_ADMIN_URL,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSigningInput } from '../../src/anomalies/webhook/webhook-signature.js';
import { type AuditEntry, chainEntry, GENESIS_HASH } from '../../src/audit/audit-chain.js';
import { checkpointLine, parseCheckpoints, signCheckpoint } from '../../src/audit/audit-checkpoint.js';
import { createAuditCheckpointer } from '../../src/audit/audit-checkpointer.js';
import { recordAudit } from '../../src/audit/audit-log.js';
import { fileCheckpointSink } from '../../src/audit/checkpoint-sinks.js';
import { verifyAuditLog } from '../../src/audit/verify-audit.js';
import { runInvestigationCommand } from '../../src/cli/investigation-cli.js';
import { configWith } from '../../src/config.js';
import type { Executor } from '../../src/db/connect.js';
import { startServer } from '../../src/startup/startup.js';

const signer = nodeCryptoSigner(keyPairFromSeed(randomBytes(32)).secretKey);
const verifier = createNodeCryptoVerifier();
const silent = { info() {}, warn() {}, error() {} };

/** n entries chained from the start, as the server would make them; `change` alters fields by seq. */
function chainOf(n: number, change: (seq: number) => Partial<AuditEntry> = () => ({})): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (let seq = 1; seq <= n; seq++) {
    const last = entries.at(-1);
    entries.push(
      chainEntry(last ? { seq: last.seq, hash: last.hash } : null, {
        at: 1_800_000_000_000 + seq * 1000,
        actor: 'user:alice',
        actorId: null,
        action: 'timeline.read',
        outcome: 'success',
        projectId: null,
        seatId: null,
        caseId: null,
        target: null,
        reason: 'case 7',
        ip: null,
        details: { n: seq },
        ...change(seq),
      }),
    );
  }
  return entries;
}

/** What the owner of the tables can do: replace the whole log (and its head) behind the server. */
async function replaceLog(ex: Executor, entries: readonly AuditEntry[]): Promise<void> {
  await ex.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_log disable trigger user`);
    await tx.execute(sql`alter table audit_chain_head disable trigger user`);
    await tx.execute(sql`delete from audit_log`);
    for (const e of entries) {
      await tx.execute(sql`insert into audit_log (seq, at, actor, actor_id, action, outcome, project_id, seat_id,
        case_id, target, reason, ip, details, prev_hash, hash) values (${e.seq}, ${new Date(e.at).toISOString()},
        ${e.actor}, ${e.actorId}, ${e.action}, ${e.outcome}, ${e.projectId}, ${e.seatId}, ${e.caseId},
        ${e.target === null ? null : JSON.stringify(e.target)}::jsonb, ${e.reason}, ${e.ip},
        ${JSON.stringify(e.details)}::jsonb, ${e.prevHash}, ${e.hash})`);
    }
    const last = entries.at(-1);
    await tx.execute(
      sql`update audit_chain_head set seq = ${last?.seq ?? 0}, hash = ${last?.hash ?? GENESIS_HASH}`,
    );
    await tx.execute(sql`alter table audit_log enable trigger user`);
    await tx.execute(sql`alter table audit_chain_head enable trigger user`);
  });
}

async function deleteEntries(ex: Executor, condition: ReturnType<typeof sql>): Promise<void> {
  await ex.transaction(async (tx) => {
    await tx.execute(sql`alter table audit_log disable trigger audit_log_no_update_delete`);
    await tx.execute(sql`delete from audit_log where ${condition}`);
    await tx.execute(sql`alter table audit_log enable trigger audit_log_no_update_delete`);
  });
}

/** Checkpoints of these entries' seqs, as lines of a checkpoint file. */
function checkpointFile(entries: readonly AuditEntry[], seqs: readonly number[]): string {
  return seqs
    .map((seq, i) => {
      const entry = entries.find((e) => e.seq === seq)!;
      return `${checkpointLine(signCheckpoint(signer, entry, 1_800_000_100_000 + i * 3_600_000))}\n`;
    })
    .join('');
}

function anchorsOf(text: string) {
  const parsed = parseCheckpoints(text, 'checkpoints.jsonl', verifier, signer.publicKey);
  expect(parsed.problems).toEqual([]);
  return parsed.anchors;
}

describe.each(DB_KINDS)('audit checkpoints on %s', (kind) => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    dir = await mkdtemp(join(tmpdir(), 'seatwatch-checkpoints-'));
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("the checkpointer signs the chain's head and appends it to the file, one line each", async () => {
    const ex = db.database.db;
    const entries = chainOf(3);
    await replaceLog(ex, entries);
    const file = join(dir, 'server-checkpoints.jsonl');
    let clock = 1_800_000_500_000;
    const checkpointer = createAuditCheckpointer({
      db: ex,
      signer,
      now: () => clock,
      intervalMs: 0,
      sinks: [fileCheckpointSink(file)],
      logger: silent,
    });
    await checkpointer.checkpoint();
    clock += 1000;
    await checkpointer.stop();
    const text = await readFile(file, 'utf8');
    const anchors = anchorsOf(text);
    expect(anchors.map(({ seq, hash }) => ({ seq, hash }))).toEqual([
      { seq: 3, hash: entries[2]!.hash },
      { seq: 3, hash: entries[2]!.hash },
    ]);
    expect(await verifyAuditLog(ex, { anchors })).toMatchObject({ ok: true, entries: 3 });
  });

  it('on its timer it keeps signing checkpoints until stopped, then adds the last one', async () => {
    const ex = db.database.db;
    await replaceLog(ex, chainOf(2));
    const file = join(dir, 'timer-checkpoints.jsonl');
    const checkpointer = createAuditCheckpointer({
      db: ex,
      signer,
      now: Date.now,
      intervalMs: 20,
      sinks: [fileCheckpointSink(file)],
      logger: silent,
    });
    checkpointer.start();
    const lines = async () =>
      (await readFile(file, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
    try {
      await until('two checkpoints on the timer', async () => (await lines()).length >= 2, 20_000);
    } finally {
      await checkpointer.stop();
    }
    const stopped = (await lines()).length;
    expect(anchorsOf((await lines()).join('\n')).every((a) => a.seq === 2)).toBe(true);
    // No more after stop().
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await lines()).length).toBe(stopped);
  });

  it('tail truncation: the log ends before a head a checkpoint saw', async () => {
    const ex = db.database.db;
    const entries = chainOf(8);
    await replaceLog(ex, entries);
    const anchors = anchorsOf(checkpointFile(entries, [4, 8]));
    await deleteEntries(ex, sql`seq > 6`);
    // The chain alone is sound: only the checkpoint shows the cut.
    expect(await verifyAuditLog(ex)).toMatchObject({ ok: true, entries: 6 });
    const result = await verifyAuditLog(ex, { anchors });
    expect(result).toMatchObject({ ok: false, entries: 6, head: { seq: 6 } });
    expect(result.firstBreak).toEqual({
      seq: 7,
      problem: expect.stringMatching(
        /^entries 7–8 are missing from the end: the checkpoint of .* saw the log reach seq 8$/,
      ),
    });
  });

  it('deletion in the middle: named at the entry after the gap', async () => {
    const ex = db.database.db;
    const entries = chainOf(8);
    await replaceLog(ex, entries);
    const anchors = anchorsOf(checkpointFile(entries, [8]));
    await deleteEntries(ex, sql`seq = 3`);
    const result = await verifyAuditLog(ex, { anchors });
    expect(result).toMatchObject({
      ok: false,
      entries: 2,
      firstBreak: { seq: 4, problem: 'entry 3 is missing' },
    });
  });

  it('full rewrite from entry 3 on, every later hash recomputed: named between the last good checkpoint and the first bad one', async () => {
    const ex = db.database.db;
    const original = chainOf(8);
    await replaceLog(ex, original);
    const anchors = anchorsOf(checkpointFile(original, [2, 5, 8]));
    const rewritten = chainOf(8, (seq) => (seq === 3 ? { reason: 'nothing to see' } : {}));
    await replaceLog(ex, rewritten);
    expect(await verifyAuditLog(ex)).toMatchObject({ ok: true, entries: 8 });
    const result = await verifyAuditLog(ex, { anchors });
    expect(result).toMatchObject({ ok: false, entries: 4 });
    expect(result.firstBreak).toEqual({
      seq: 5,
      problem: expect.stringMatching(
        /^its hash differs from the one the checkpoint of .* saw: the log was rewritten after seq 2, the last entry a checkpoint confirms$/,
      ),
    });
  });

  it('a rewrite that drops an entry and renumbers the rest is found too', async () => {
    const ex = db.database.db;
    const original = chainOf(8);
    await replaceLog(ex, original);
    const anchors = anchorsOf(checkpointFile(original, [4, 8]));
    // Entry 5 gone, 6–8 renumbered 5–7 and rechained: a sound chain of 7.
    await replaceLog(
      ex,
      chainOf(7, (seq) => (seq >= 5 ? { details: { n: seq + 1 } } : {})),
    );
    expect(await verifyAuditLog(ex)).toMatchObject({ ok: true, entries: 7 });
    const result = await verifyAuditLog(ex, { anchors });
    expect(result.firstBreak?.seq).toBe(8);
    expect(result.firstBreak?.problem).toMatch(/^entry 8 is missing from the end/);
  });

  it('a checkpoint line changed or signed by another key counts against the verification', () => {
    const entries = chainOf(2);
    const good = checkpointFile(entries, [2]).trim();
    const forged = good.replace(entries[1]!.hash, entries[0]!.hash);
    const other = checkpointLine(
      signCheckpoint(nodeCryptoSigner(keyPairFromSeed(randomBytes(32)).secretKey), entries[1]!, 1),
    );
    const parsed = parseCheckpoints(
      `${good}\n${forged}\nnot json\n${other}\n`,
      'f',
      verifier,
      signer.publicKey,
    );
    expect(parsed.anchors).toHaveLength(1);
    expect(parsed.problems).toEqual([
      'f line 2: the signature does not verify with the pinned server key',
      'f line 3 is not an audit checkpoint',
      'f line 4: the signature does not verify with the pinned server key',
    ]);
  });
});

async function cli(args: string[], config: ReturnType<typeof configWith>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runInvestigationCommand(args, {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    readConfig: () => config,
    cwd: process.cwd(),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function asSuperuser<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('checkpoints from a running server, checked by an auditor on PostgreSQL', () => {
  let db: TestDatabase;
  let dataDir: string;
  const auditor = `seatwatch_auditor_${randomBytes(4).toString('hex')}`;
  let auditorUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-checkpoints-server-'));
    const dbName = new URL(db.url!).pathname.slice(1);
    await asSuperuser(db.url!, async (client) => {
      await client.query(`create role ${auditor} login`);
      await client.query(`grant connect on database ${dbName} to ${auditor}`);
      await client.query(`grant select on audit_log to ${auditor}`);
    });
    const url = new URL(db.url!);
    url.username = auditor;
    auditorUrl = url.toString();
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await asSuperuser(POSTGRES_ADMIN_URL, (client) => client.query(`drop role if exists ${auditor}`));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('sends each checkpoint to the file, syslog and a webhook; verify-audit checks the file as a SELECT-only role', async () => {
    const datagrams: string[] = [];
    const udp = createSocket('udp4');
    udp.on('message', (message) => datagrams.push(message.toString('utf8')));
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const posts: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    const http = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        posts.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const config = configWith({
      databaseUrl: db.url!,
      dataDir,
      port: 0,
      logLevel: 'silent',
      retention: { intervalMs: 0 },
      auditCheckpoints: {
        intervalMs: 0,
        syslog: { host: '127.0.0.1', port: (udp.address() as AddressInfo).port, transport: 'udp' },
        webhookUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hooks/audit`,
      },
    });
    const server = await startServer(config);
    let first: Awaited<ReturnType<typeof server.auditCheckpoint>>;
    try {
      for (let i = 0; i < 3; i++)
        await recordAudit(server.database.db, { actor: 'system', action: 'test.entry' });
      first = await server.auditCheckpoint();
    } finally {
      await server.close(); // and the last checkpoint
    }
    try {
      const lines = (await readFile(config.auditCheckpoints.file, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[0]!)).toMatchObject({ seq: first.seq, hash: first.hash, v: 1 });
      // Signed with the server key of the data folder.
      expect(first.key).toBe(server.secrets.serverPublicKey);
      await until('two datagrams and two posts', () => datagrams.length >= 2 && posts.length >= 2, 10_000);
      expect(datagrams[0]).toMatch(/^<110>1 \S+ \S+ seatwatch \d+ audit-checkpoint - \{/);
      expect(JSON.parse(datagrams[0]!.slice(datagrams[0]!.indexOf('{')))).toMatchObject({
        type: 'audit.checkpoint',
        seq: first.seq,
        hash: first.hash,
        sig: first.sig,
      });
      const post = posts[0]!;
      expect(JSON.parse(post.body)).toEqual({ type: 'audit.checkpoint', checkpoint: first });
      const signature = String(post.headers['seatwatch-signature']).replace(/^ed25519=/, '');
      expect(
        verifier.verify(
          webhookSigningInput(Number(post.headers['seatwatch-timestamp']), post.body),
          fromBase64(signature, 64),
          fromBase64(server.secrets.serverPublicKey, 32),
        ),
      ).toBe(true);
    } finally {
      udp.close();
      http.close();
    }

    // The auditor: the server's own checkpoint file by default, pinned to the server's key.
    const auditorConfig = configWith({ databaseUrl: auditorUrl, dataDir });
    const ok = await cli(['verify-audit'], auditorConfig);
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(ok.out).toMatch(
      /checking against 2 checkpoints from .*audit-checkpoints\.jsonl, signed by this server's own key/,
    );
    expect(ok.out).toMatch(new RegExp(`audit log OK: ${first.seq} entries, head seq ${first.seq} `));

    // The owner cuts the last entry: the chain alone is sound, the checkpoint file is not fooled.
    await deleteEntries(db.database.db, sql`seq = ${first.seq}`);
    const cut = await cli(['verify-audit', '--checkpoints', config.auditCheckpoints.file], auditorConfig);
    expect(cut.code).toBe(1);
    expect(cut.err).toContain(`BROKEN at entry seq ${first.seq}: entry ${first.seq} is missing from the end`);
    // A head noted by hand does the same.
    const byHand = await cli(['verify-audit', '--head', `${first.seq}:${first.hash}`], auditorConfig);
    expect(byHand).toMatchObject({ code: 1, err: expect.stringContaining('--head') });

    // A checkpoint file someone edited fails on its own.
    const edited = join(dataDir, 'edited.jsonl');
    await writeFile(
      edited,
      (await readFile(config.auditCheckpoints.file, 'utf8')).replace(/"seq":\d+/, '"seq":1'),
    );
    const forged = await cli(['verify-audit', '--checkpoints', edited], auditorConfig);
    expect(forged).toMatchObject({ code: 1, err: expect.stringContaining('the signature does not verify') });
  }, 90_000);
});
