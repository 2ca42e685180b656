/**
 * A tile's latest application and screenshot (issue #15), through the real API on PGlite and
 * PostgreSQL. The board looks in the last three days' partitions first and reaches back through
 * the older days only for a seat with nothing recent: a seat last heard from days ago still shows what
 * it last did, and one that has moved on since shows its newest.
 */
import type { Board } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  captureEvent,
  connectAgent,
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  startTestServer,
  type TestAgentClient,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const DAY = 86_400_000;

describe.each(DB_KINDS)('the latest activity and screenshot of a tile on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: SignedIn;
  let projectId = '';
  let seatId = '';
  let client: TestAgentClient;

  const tile = async () => {
    const board = await asUser<Board>(server, admin, 'GET', '/api/v1/board');
    expect(board.status).toBe(200);
    return board.body.seats.find((seat) => seat.id === seatId)!;
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    ({ projectId } = await createTestProject(server, { name: 'Floor' }));
    admin = await createSignedInUser(server, 'board-admin', [
      { role: 'administrator', projectId, teamId: null },
    ]);
    seatId = (
      await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, { name: 'desk-l' })
    ).id;
    client = await connectAgent(server, await enrollTestAgent(server, { projectId, hostname: 'desk-l' }));
    // Migrating a fresh PGlite takes a while on a busy 2-core machine.
  }, 180_000);
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await db?.close();
  });

  it('shows what a seat last did days ago, then what it does now', async () => {
    const old = Date.now() - 5 * DAY;
    client.sendBatch(1, [
      { type: 'activity', time: old, end: old + 60_000, app: 'old-crm', title: 'Case 1' },
    ]);
    client.sendBlob(2, await testJpeg(40, 30), { event: captureEvent({ time: old + 30_000 }) });
    await client.ack(2);
    expect(await tile()).toMatchObject({ app: 'old-crm', screenshot: { time: old + 30_000 } });

    const now = Date.now();
    client.sendBatch(3, [{ type: 'activity', time: now - 5_000, end: now, app: 'mail', title: 'Inbox' }]);
    client.sendBlob(4, await testJpeg(41, 30), { event: captureEvent({ time: now - 1_000 }) });
    await client.ack(4);
    expect(await tile()).toMatchObject({ app: 'mail', screenshot: { time: now - 1_000 } });
  });
});
