/**
 * PostgreSQL stopped hard (pg_ctl stop -m immediate, as a crash) and started again under a
 * running collector (issue #15). A throwaway cluster of this test's own, on a free port: the
 * machine's shared PostgreSQL is never touched. While the database is gone /readyz says so,
 * a frame is not acknowledged (the agent is closed with 1013 and keeps it); the collector
 * reconnects by itself, the agent resends, and every event is stored exactly once; an agent
 * that left during the outage is not shown as connected afterwards. Under load, no pooled
 * connection stays checked out after the crash (db/connect.ts, releaseLostClients): before that
 * fix the closing pool.end() hung in about half the runs.
 */
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { migrateDatabase, openDatabase, openNotifications } from '@seatwatch/server';
import { until } from '@seatwatch/testkit';
import {
  connectAgent,
  type EnrolledAgent,
  enrollTestAgent,
  httpJson,
  sampleEvents,
  startTestServer,
  type TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A PostgreSQL cluster of this test alone, run as the postgres user. */
async function startCluster() {
  const dir = await mkdtemp(join(tmpdir(), 'seatwatch-pg-'));
  const { stdout } = await run('id', ['-u', 'postgres']);
  const uid = Number(stdout.trim());
  await chown(dir, uid, uid);
  const as = (cmd: string, args: string[]) =>
    run('runuser', ['-u', 'postgres', '--', `${BIN}/${cmd}`, ...args]);
  await as('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`;
  const start = () =>
    as('pg_ctl', ['-D', join(dir, 'data'), '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  await start();
  await as('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'seatwatch']);
  return {
    url: (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`,
    start,
    crash: () => as('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']),
    remove: async () => {
      await as('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describe('PostgreSQL restarted under a running collector', () => {
  let cluster: Awaited<ReturnType<typeof startCluster>>;
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    cluster = await startCluster();
    const url = cluster.url('seatwatch');
    const database = await openDatabase({ databaseUrl: url, poolSize: 5 });
    await migrateDatabase(database);
    db = {
      kind: 'postgres',
      database,
      url,
      openNotifications: () => openNotifications(database, () => {}),
      close: () => database.close(),
    };
    server = await startTestServer({ database: db });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
    await cluster?.remove();
  });

  const ready = async () => (await httpJson('GET', `${server.url}/readyz`)).status;
  const stored = async (agentId: string) => {
    const { rows } = await db.database.pool!.query<{ seq: string; n: string }>(
      'select seq, count(*) as n from events where agent_id = $1 group by seq order by seq',
      [agentId],
    );
    return rows.map((row) => ({ seq: Number(row.seq), n: Number(row.n) }));
  };

  it('says not ready while it is gone, acknowledges nothing unstored, reconnects, loses nothing', async () => {
    const agent = await enrollTestAgent(server);
    const first = await connectAgent(server, agent);
    const leaving = await enrollTestAgent(server);
    const leaver = await connectAgent(server, leaving);
    for (let seq = 1; seq <= 5; seq++) first.sendBatch(seq, sampleEvents(2));
    await first.ack(5);
    expect(await ready()).toBe(200);

    await cluster.crash();
    await until('/readyz to say not ready', async () => ((await ready()) === 503 ? true : null), 30_000);
    // An agent that goes away while the database is down: its disconnection cannot be written yet.
    await leaver.close();
    first.sendBatch(6, sampleEvents(2));
    const closed = await first.closed;
    expect(closed.code).toBe(1013);
    expect(first.received.some((p) => p.t === 'ack' && p.seq >= 6)).toBe(false);

    await cluster.start();
    await until('/readyz to say ready again', async () => ((await ready()) === 200 ? true : null), 60_000);
    const again = await connectAgent(server, agent);
    expect(again.welcome!.ackedSeq).toBe(5);
    for (let seq = 6; seq <= 8; seq++) again.sendBatch(seq, sampleEvents(2));
    await again.ack(8);
    expect(await stored(agent.agentId)).toEqual(Array.from({ length: 8 }, (_, i) => ({ seq: i + 1, n: 2 })));
    await again.close();
    // The agent that left during the outage is not shown as connected once the database is back.
    await until(
      'the departed agent shown disconnected',
      async () => {
        const { rows } = await db.database.pool!.query<{ session: string | null }>(
          'select session from agents where id = $1',
          [leaving.agentId],
        );
        return rows[0]?.session === null ? true : null;
      },
      30_000,
    );
  });

  /** The highest ack a client has received and not yet taken. */
  const acksOf = (client: TestAgentClient) =>
    Math.max(0, ...client.received.flatMap((p) => (p.t === 'ack' ? [p.seq] : [])));

  /**
   * An agent as the protocol has it: frames 1..total, sent from the welcome's ackedSeq on, one
   * every few milliseconds; a closed or refused connection is opened again and the unacked rest
   * resent. Resolves once everything is acknowledged.
   */
  async function streamingAgent(
    agent: EnrolledAgent,
    total: number,
    seen: { closes: number; acked: number; client: TestAgentClient | null },
  ) {
    for (;;) {
      let client: TestAgentClient;
      try {
        client = await connectAgent(server, agent);
      } catch {
        seen.closes++;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      seen.client = client;
      const from = client.welcome!.ackedSeq;
      seen.acked = Math.max(seen.acked, from);
      if (from === total) {
        await client.close();
        return;
      }
      let open = true;
      void client.closed.then(() => {
        open = false;
      });
      for (let seq = from + 1; seq <= total && open; seq++) {
        client.sendBatch(seq, sampleEvents(2));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const outcome = await Promise.race([
        client.ack(total).then(() => 'done' as const),
        client.closed,
      ]).catch(() => 'closed' as const);
      seen.acked = Math.max(seen.acked, acksOf(client), outcome === 'done' ? total : 0);
      if (outcome === 'done') {
        await client.close();
        return;
      }
      seen.closes++;
    }
  }

  it('under load: several agents streaming through the crash get everything stored exactly once', async () => {
    const total = 600;
    const agents = await Promise.all(Array.from({ length: 4 }, () => enrollTestAgent(server)));
    const seen = agents.map(() => ({ closes: 0, acked: 0, client: null as TestAgentClient | null }));
    const done = Promise.all(agents.map((agent, i) => streamingAgent(agent, total, seen[i]!)));
    await until(
      'every agent has frames acknowledged',
      () => (seen.every((s) => s.client && acksOf(s.client) >= 5) ? true : null),
      60_000,
      20,
    );
    await cluster.crash();
    await until('/readyz to say not ready', async () => ((await ready()) === 503 ? true : null), 30_000);
    await until(
      'every agent closed, refused or done',
      () => (seen.every((s) => s.closes > 0 || s.acked === total) ? true : null),
      30_000,
      50,
    );
    // The crash came while frames were on their way.
    expect(seen.filter((s) => s.closes > 0).length).toBeGreaterThan(0);
    await cluster.start();
    await done;
    for (const agent of agents) {
      const rows = await stored(agent.agentId);
      // Everything acknowledged before the crash is there, and every frame exactly once.
      expect(rows.length).toBe(total);
      expect(rows.every((row, k) => row.seq === k + 1 && row.n === 2)).toBe(true);
    }
  }, 120_000);
});
