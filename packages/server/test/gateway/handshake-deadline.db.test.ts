/**
 * The handshake deadline (protocol v1: 4408) bounds how long a socket may
 * stay without sending its hello, not how long the server takes to answer
 * one (issue #15, the connect storm). After a collector restart thousands of
 * hellos arrive at once and their database work can outlast the deadline;
 * closing them then threw that work away and sent every such agent into its
 * backoff, to come back into the same crowd (5,641 handshake timeouts and
 * 124 s until all 5,000 agents were back in one storm run here).
 *
 * PostgreSQL only: the hello is held by a row lock taken on another
 * connection, which PGlite (one connection) cannot have.
 */

import { until } from '@seatwatch/testkit';
import {
  createTestDatabase,
  enrollTestAgent,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DEADLINE_MS = 300;

describe('the handshake deadline on postgres', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    server = await startTestServer({ database: db, config: { handshakeTimeoutMs: DEADLINE_MS } });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('answers a hello that arrived in time, however long the server takes over it', async () => {
    const agent = await enrollTestAgent(server);
    const locker = new pg.Client({ connectionString: db.url! });
    await locker.connect();
    try {
      // The hello's work on the agent row waits for this lock: the server is slow, not the agent.
      await locker.query('begin');
      await locker.query('select 1 from agents where id = $1 for update', [agent.agentId]);
      const connectedAt = Date.now();
      const client = await TestAgentClient.connect(server, agent);
      const welcome = client.hello();
      const [{ pid }] = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows as [
        { pid: number },
      ];
      await until('the hello waiting for the agent row', async () => {
        const { rows } = await locker.query(
          'select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
          [pid],
        );
        return rows.length > 0;
      });
      // Well past the deadline, counted from the connection.
      await until('the deadline long past', async () => Date.now() - connectedAt > 3 * DEADLINE_MS);
      await locker.query('rollback');

      expect((await welcome).session).toBeTruthy();
      expect(client.failures).toEqual([]);
      expect(client.received.some((payload) => payload.t === 'error')).toBe(false);
      await client.close();
    } finally {
      await locker.end();
    }
  });

  it('still closes a socket that sends no hello (4408)', async () => {
    const agent = await enrollTestAgent(server);
    const client = await TestAgentClient.connect(server, agent);
    const [error, close] = await Promise.all([client.next('error'), client.closed]);
    expect({ code: error.code, close: close.code }).toEqual({ code: 'handshake_timeout', close: 4408 });
  });
});
