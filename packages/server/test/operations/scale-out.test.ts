// PostgreSQL only: two server processes share one database, and PGlite is one process's database.
/**
 * Two collector processes on one PostgreSQL database (two apps, each with its
 * own pool and LISTEN connection, as separate processes would have):
 * commands reach the agent through whichever holds its socket, a reconnect
 * to the other replaces the first connection, and sequencing state comes
 * from the database, not from either process. (PGlite is one process's
 * database by design, so this is PostgreSQL only.)
 */

import {
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  sampleEvents,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('two server processes on one PostgreSQL database', () => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    a = await startTestServer({ database: db });
    b = await startTestServer({ database: db, identity: a.identity });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.close();
  });

  it('delivers a command requested on one process through the process holding the socket', async () => {
    const agent = await enrollTestAgent(a);
    const client = await connectAgent(b, agent);
    expect(a.app.seatwatch.gateway.holds(agent.agentId)).toBe(false);
    expect(b.app.seatwatch.gateway.holds(agent.agentId)).toBe(true);
    const queued = await a.adminOk<{ id: string }>(
      'POST',
      `/projects/${agent.projectId}/agents/${agent.agentId}/commands`,
      {
        cmd: 'capture_now',
      },
    );
    expect(await client.next('command')).toMatchObject({ id: queued.id, cmd: 'capture_now' });
    await client.close();
  });

  it('closes the older connection with 4409 when the agent says hello on the other process', async () => {
    const agent = await enrollTestAgent(a);
    const first = await connectAgent(a, agent);
    first.sendBatch(1, sampleEvents(2));
    await first.ack(1);
    const second = await connectAgent(b, agent);
    expect(second.welcome!.ackedSeq).toBe(1);
    expect((await first.closed).code).toBe(4409);
    second.sendBatch(2, sampleEvents(2));
    await second.ack(2);
    await second.close();
  });

  it('revokes an agent connected to the other process', async () => {
    const agent = await enrollTestAgent(a);
    const client = await connectAgent(b, agent);
    await a.adminOk('POST', `/projects/${agent.projectId}/agents/${agent.agentId}/revoke`);
    expect(await client.next('command')).toMatchObject({ cmd: 'revoke' });
    expect((await client.closed).code).toBe(4410);
  });
});
