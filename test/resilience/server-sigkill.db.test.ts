/**
 * The collector process killed with SIGKILL under load and started again on the same database
 * and data folder (issue #15). Three agents stream activity batches and screenshots; while their
 * commits are held on a table lock (so frames are truly in flight: bytes stored, rows not
 * committed), a fourth agent's screenshot arrives, and then the process is killed. After the
 * restart: every frame acknowledged before the kill is there, the agents resend the rest, and
 * every frame is stored exactly once. The fourth agent never comes back (its seat was wiped, say),
 * so its screenshot's bytes are orphans: the orphan sweep removes them and nothing else, after
 * which the data folder holds exactly the blobs the screenshot rows refer to.
 * PostgreSQL only: the test holds a lock from a second session (a PGlite gap, test/README.md).
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFilesystemBlobStore,
  type Database,
  ORPHAN_GRACE_MS,
  openDatabase,
  sweepOrphanBlobs,
} from '@seatwatch/server';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import { until } from '@seatwatch/testkit';
import {
  connectAgent,
  createPostgresDatabase,
  type EnrolledAgent,
  enrollTestAgent,
  type ServerProcess,
  sampleEvents,
  spawnServer,
  type TestAgentClient,
  testJpeg,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FRAMES = 90;
/** Every BLOB_EVERY-th frame is a screenshot, the others a batch of two events. */
const BLOB_EVERY = 6;
const isBlob = (seq: number) => seq % BLOB_EVERY === 0;
const STREAMING = 3;
/** Each agent sends this many frames, then waits until the commits are held before the rest. */
const FIRST_STRETCH = 12;
/**
 * The collector's maxConcurrentCommits, set for this test: one commit, holding the three streaming
 * agents' frames, waits on the lock, and the doomed screenshot's frame waits behind it in the
 * process. With a second slot free, that frame's own statement would reach PostgreSQL, wait on
 * the lock too and commit once the lock goes, after the kill (a backend waiting on a lock does
 * not notice its client is gone): then its bytes would not be orphans.
 */
const COMMITS_IN_FLIGHT = 1;

/** A distinct image per agent and seq, so no two screenshots share bytes. */
const imageOf = (agent: number, seq: number) => testJpeg(48 + agent, 32 + seq);

describe('the collector killed with SIGKILL under load', () => {
  let root: string;
  let postgres: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let database: Database;
  let env: Record<string, string>;
  const running: ServerProcess[] = [];
  let current: ServerProcess | null = null;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'seatwatch-sigkill-'));
    postgres = await createPostgresDatabase();
    env = {
      SEATWATCH_DATA_DIR: join(root, 'data'),
      DATABASE_URL: postgres.url,
      SEATWATCH_ADMIN_TOKEN: `swa_test_${sha256Hex(new TextEncoder().encode(root)).slice(0, 40)}`,
      SEATWATCH_RETENTION_INTERVAL_MS: '0',
      SEATWATCH_MAX_CONCURRENT_COMMITS: String(COMMITS_IN_FLIGHT),
    };
  });
  afterAll(async () => {
    for (const server of running) server.child.kill('SIGKILL');
    await database?.close();
    await postgres?.drop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  const start = async () => {
    const server = await spawnServer(env);
    running.push(server);
    current = server;
    return server;
  };

  const blobsDir = () => join(env.SEATWATCH_DATA_DIR!, 'blobs');
  /** The collector's own files store, opened with the key it keeps in its data folder. */
  const dataFolderBlobs = async () => {
    const key = await readFile(join(env.SEATWATCH_DATA_DIR!, 'blob-key'), 'utf8');
    return createFilesystemBlobStore(blobsDir(), Buffer.from(key.trim(), 'base64'));
  };

  /** The highest ack a client has received. */
  const ackedBy = (client: TestAgentClient | null) =>
    Math.max(0, ...(client?.received ?? []).flatMap((p) => (p.t === 'ack' ? [p.seq] : [])));

  interface Seen {
    acked: number;
    client: TestAgentClient | null;
    /** ackedSeq of every welcome, in order. */
    welcomes: number[];
  }

  /**
   * An agent as the protocol has it: frames 1..FRAMES from the welcome's ackedSeq on, a few
   * milliseconds apart; a refused or closed connection is opened again (to whichever server is
   * running) and the unacknowledged rest resent. Resolves once everything is acknowledged.
   */
  async function stream(agent: EnrolledAgent, index: number, seen: Seen, held: Promise<void>) {
    for (;;) {
      let client: TestAgentClient;
      try {
        if (!current) throw new Error('no server');
        client = await connectAgent(current, agent);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      seen.client = client;
      const from = client.welcome!.ackedSeq;
      seen.welcomes.push(from);
      seen.acked = Math.max(seen.acked, from);
      if (from === FRAMES) {
        await client.close();
        return;
      }
      let open = true;
      void client.closed.then(() => {
        open = false;
      });
      for (let seq = from + 1; seq <= FRAMES && open; seq++) {
        if (seq === FIRST_STRETCH + 1) await held;
        if (isBlob(seq)) client.sendBlob(seq, await imageOf(index, seq));
        else client.sendBatch(seq, sampleEvents(2, Date.UTC(2026, 11, 1) + seq * 1000));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const outcome = await Promise.race([
        client.ack(FRAMES).then(() => 'done' as const),
        client.closed.then(() => 'closed' as const),
      ]).catch(() => 'closed' as const);
      seen.acked = Math.max(seen.acked, ackedBy(client));
      if (outcome === 'done') {
        await client.close();
        return;
      }
    }
  }

  it('keeps everything acknowledged, stores every frame once, and leaves no orphan bytes after the sweep', async () => {
    const first = await start();
    database = await openDatabase({ databaseUrl: postgres.url, poolSize: 3 });
    const pool = database.pool!;
    const agents = await Promise.all(Array.from({ length: STREAMING }, () => enrollTestAgent(first)));
    const doomed = await enrollTestAgent(first);
    const seen: Seen[] = agents.map(() => ({ acked: 0, client: null, welcomes: [] }));
    let hold = () => {};
    const held = new Promise<void>((resolve) => {
      hold = resolve;
    });
    const streams = agents.map((agent, i) => stream(agent, i, seen[i]!, held));
    await until('every agent acknowledged a first stretch', () =>
      seen.every((s) => Math.max(s.acked, ackedBy(s.client)) >= FIRST_STRETCH),
    );

    // Hold every commit: each frame's transaction inserts into events first.
    const lock = await pool.connect();
    const ackedBeforeKill: number[] = [];
    const doomedImage = await testJpeg(97, 71);
    try {
      await lock.query('begin');
      await lock.query('lock table events in exclusive mode');
      // The rest of every stream goes out now and waits on the lock.
      hold();
      await until('every commit slot waiting on the lock', async () => {
        const { rows } = await pool.query(
          `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        );
        return rows.length >= COMMITS_IN_FLIGHT;
      });
      // The doomed screenshot arrives behind them: its bytes are stored (the note comes first, the
      // put right after) and its frame waits for a commit slot, so no statement of it reaches PostgreSQL.
      const victim = await connectAgent(first, doomed);
      victim.sendBlob(1, doomedImage);
      // Its note comes first, then its bytes: once the note is there, they are an orphan to be
      // (no thumbnail is made at ingest).
      await until('the doomed screenshot noted', async () => {
        const { rows } = await pool.query('select 1 from blob_uploads where sha256 = $1', [
          sha256Hex(doomedImage),
        ]);
        return rows.length === 1;
      });
      await until('the doomed screenshot stored', async () =>
        (await dataFolderBlobs()).has(sha256Hex(doomedImage)),
      );
      for (const s of seen) ackedBeforeKill.push(Math.max(s.acked, ackedBy(s.client)));
      first.child.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
      current = null;
    } finally {
      await lock.query('rollback');
      lock.release();
    }
    // Nothing was committed while the lock was held: exactly the first stretch was acknowledged.
    expect(ackedBeforeKill).toEqual(agents.map(() => FIRST_STRETCH));

    await start();
    await Promise.all(streams);

    // Everything acknowledged before the kill was there when each agent came back.
    for (const [i, s] of seen.entries()) {
      const afterKill = s.welcomes.slice(1);
      expect(Math.max(...afterKill), `agent ${i}`).toBeGreaterThanOrEqual(ackedBeforeKill[i]!);
    }
    // Every frame stored exactly once: two events a batch, the capture event a screenshot.
    for (const agent of agents) {
      const { rows } = await pool.query<{ seq: string; n: number }>(
        'select seq, count(*)::int as n from events where agent_id = $1 group by seq order by seq',
        [agent.agentId],
      );
      expect(rows.map((r) => [Number(r.seq), r.n])).toEqual(
        Array.from({ length: FRAMES }, (_, i) => [i + 1, isBlob(i + 1) ? 1 : 2]),
      );
      const shots = await pool.query<{ seq: string }>(
        'select seq from screenshots where agent_id = $1 order by seq',
        [agent.agentId],
      );
      expect(shots.rows.map((r) => Number(r.seq))).toEqual(
        Array.from({ length: FRAMES }, (_, i) => i + 1).filter(isBlob),
      );
    }
    const doomedRows = await pool.query('select 1 from screenshots where agent_id = $1', [doomed.agentId]);
    expect(doomedRows.rows).toEqual([]);

    // The sweep, once the grace period is over: the doomed screenshot goes.
    current!.child.kill('SIGTERM');
    expect((await current!.exited).code).toBe(0);
    const store = await dataFolderBlobs();
    expect(await store.has(sha256Hex(doomedImage))).toBe(true);
    const report = await sweepOrphanBlobs({
      db: database.db,
      blobs: store,
      now: () => Date.now() + ORPHAN_GRACE_MS + 60_000,
    });
    expect(report.removed).toBe(1);
    expect(await store.has(sha256Hex(doomedImage))).toBe(false);

    // What is left is exactly what the rows refer to: every referenced blob, and no other file.
    const { rows: referenced } = await pool.query<{ sha: string }>(
      `select sha256 as sha from screenshots union select thumb_sha256 from screenshots where thumb_sha256 is not null`,
    );
    expect(referenced).toHaveLength(STREAMING * Math.floor(FRAMES / BLOB_EVERY));
    for (const { sha } of referenced) expect(await store.has(sha), sha).toBe(true);
    const files = [];
    for (const folder of await readdir(blobsDir())) files.push(...(await readdir(join(blobsDir(), folder))));
    expect(files).toHaveLength(referenced.length);
  }, 300_000);
});
