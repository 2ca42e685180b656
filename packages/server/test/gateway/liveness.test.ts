// One database each: ping timing is the same on both, so PGlite; the backpressure part holds a row lock from a second PostgreSQL session.
/**
 * Liveness: a socket that sends nothing is pinged every interval and ended
 * when a ping goes unanswered; a socket that keeps sending frames is never
 * pinged (thousands of pings at once would stall the server for a write
 * each), and stays open even if it would not answer one. A socket the
 * server paused itself (its frames wait for a commit) is not silent: it
 * stays open however long the commit takes.
 */

import {
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  lockAgentRow,
  sampleEvents,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PING_INTERVAL_MS = 1000;

describe('agent socket liveness', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    server = await startTestServer({ database: db, config: { wsPingIntervalMs: PING_INTERVAL_MS } });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('pings quiet sockets, ends the one that does not answer, and leaves busy sockets alone', async () => {
    const [quiet, hung, busy] = await Promise.all([1, 2, 3].map(() => enrollTestAgent(server)));
    const quietClient = await connectAgent(server, quiet!);
    const hungClient = await connectAgent(server, hung!, { autoPong: false });
    const busyClient = await connectAgent(server, busy!, { autoPong: false });
    const pings = { quiet: 0, hung: 0, busy: 0 };
    quietClient.ws.on('ping', () => pings.quiet++);
    hungClient.ws.on('ping', () => pings.hung++);
    busyClient.ws.on('ping', () => pings.busy++);
    let seq = 0;
    const sending = setInterval(() => busyClient.sendBatch(++seq, sampleEvents(1)), 20);
    try {
      const started = Date.now();
      const hungClose = await hungClient.closed;
      // Its hello counts as heard at the first heartbeat; pinged at the second, ended at the third.
      expect(hungClose.code).toBe(1006);
      expect(pings.hung).toBe(1);
      expect(Date.now() - started).toBeLessThan(PING_INTERVAL_MS * 6);
      // Two more intervals: the quiet socket answers its pings and stays; the busy one is never pinged.
      await expect.poll(() => pings.quiet, { timeout: PING_INTERVAL_MS * 5 }).toBeGreaterThanOrEqual(3);
      expect(quietClient.ws.readyState).toBe(quietClient.ws.OPEN);
      expect(busyClient.ws.readyState).toBe(busyClient.ws.OPEN);
      expect(pings.busy).toBe(0);
      // Stop sending first: under load the 20 ms timer would move `seq` on while the ack is awaited.
      clearInterval(sending);
      const last = seq;
      expect((await busyClient.ack(last)).seq).toBe(last);
    } finally {
      clearInterval(sending);
      await Promise.all([quietClient.close(), busyClient.close()]);
    }
  });
});

describe('agent socket liveness under backpressure, on postgres', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    server = await startTestServer({
      database: db,
      config: { wsPingIntervalMs: 200, maxPendingFramesPerAgent: 2 },
    });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('leaves a socket alone while its frames wait for a commit, then acks them all', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    let closed = false;
    void client.closed.then(() => {
      closed = true;
    });
    // Its row locked from another session, the agent's first commit waits; frames behind it pause the socket.
    const lock = await lockAgentRow(db.url!, agent.agentId);
    try {
      for (let seq = 1; seq <= 6; seq++) client.sendBatch(seq, sampleEvents(1));
      await lock.blocked();
      // Ten ping intervals: without the exemption the paused socket would be ended within two.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(closed).toBe(false);
      await lock.release();
      expect((await client.ack(6)).seq).toBe(6);
      expect(closed).toBe(false);
    } finally {
      await lock.end();
      await client.close();
    }
  });
});
