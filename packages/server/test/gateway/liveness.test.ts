/**
 * Liveness: a socket that sends nothing is pinged every interval and ended
 * when a ping goes unanswered; a socket that keeps sending frames is never
 * pinged (thousands of pings at once would stall the server for a write
 * each), and stays open even if it would not answer one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  sampleEvents,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../support/index.js';

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
      expect((await busyClient.ack(seq)).seq).toBe(seq);
    } finally {
      clearInterval(sending);
      await Promise.all([quietClient.close(), busyClient.close()]);
    }
  });
});
