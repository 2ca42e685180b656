/**
 * Two collector processes on one database (two apps with their own
 * notification ports; on PostgreSQL each has its own LISTEN connection, as
 * separate processes would): commands reach the agent through whichever
 * holds its socket, a reconnect to the other replaces the first connection,
 * and sequencing state comes from the database, not from either process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectAgent,
  createTestDatabase,
  DB_KINDS,
  enrollTestAgent,
  sampleEvents,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '../support/index.js';

describe.each(DB_KINDS)('two server processes on one %s database', (kind) => {
  let db: TestDatabase;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
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
