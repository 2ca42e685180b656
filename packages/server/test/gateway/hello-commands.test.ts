// PostgreSQL only: the agent row lock that holds a hello's statement open is PostgreSQL's.
/**
 * Commands and the hello (issue #15): the hello's own statement says whether
 * commands are pending, and the claim is only sent when some are. A command
 * queued after that statement took its snapshot is not in its answer; it must
 * still reach the agent once welcomed, not wait for the next reconnect.
 */
import {
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('commands around a hello on postgres', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    server = await startTestServer({ database: db });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const askCapture = (agent: { projectId: string; agentId: string }) =>
    server.adminOk<{ id: string }>('POST', `/projects/${agent.projectId}/agents/${agent.agentId}/commands`, {
      cmd: 'capture_now',
    });

  it('delivers a command queued while the hello writes its session', async () => {
    const agent = await enrollTestAgent(server);
    // The session's statement updates the agent row: held here, it has taken its snapshot and waits.
    // FOR NO KEY UPDATE, so that the command's own insert (a foreign key to the row) does not wait too.
    const locker = new pg.Client({ connectionString: db.url! });
    const observer = new pg.Client({ connectionString: db.url! });
    await Promise.all([locker.connect(), observer.connect()]);
    try {
      await locker.query('begin');
      await locker.query('select 1 from agents where id = $1 for no key update', [agent.agentId]);
      const client = await TestAgentClient.connect(server, agent);
      const welcomed = client.hello();
      await expect
        .poll(async () => {
          const { rows } = await observer.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          );
          return rows[0]!.n;
        })
        .toBe(1);

      const heard = new Promise<void>((resolve) => {
        const stop = server.app.seatwatch.notifications.subscribe((n) => {
          if (n.topic !== 'agent.command' || n.agentId !== agent.agentId) return;
          stop();
          resolve();
        });
      });
      const queued = await askCapture(agent);
      // The announcement reached this process while the hello was still writing its session.
      await heard;
      await locker.query('commit');

      await welcomed;
      expect(await client.next('command')).toMatchObject({ id: queued.id, cmd: 'capture_now' });
      await client.close();
    } finally {
      await Promise.all([locker.end(), observer.end()]);
    }
  });

  it('sends a command pending before the hello once, and the next one asked after the welcome', async () => {
    const waiting = await enrollTestAgent(server);
    const queued = await askCapture(waiting);
    const client = await connectAgent(server, waiting);
    expect(await client.next('command')).toMatchObject({ id: queued.id, cmd: 'capture_now' });
    await client.close();

    const again = await connectAgent(server, waiting);
    const later = await askCapture(waiting);
    // The first command of this connection is the one asked after its welcome: the claimed one is not sent again.
    expect(await again.next('command')).toMatchObject({ id: later.id });
    await again.close();
  });
});
