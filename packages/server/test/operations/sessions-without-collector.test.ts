// PostgreSQL only: on PGlite (one process) every session is ended at start anyway.
/**
 * Sessions left open by a collector from before the registry of processes
 * (migration 0021, issue #15): such a collector wrote no `collector_id`, and
 * when it was killed outright its sessions stayed open, so its seats showed
 * connected for good and no living process would ever end them. A collector
 * now ends them when it starts, as a close would have (at the agent's last
 * sign of life) and announces each seat; sessions that name a process are
 * left to the heartbeat.
 */
import { until } from '@seatwatch/testkit';
import {
  connectAgent,
  createTestDatabase,
  createTestProject,
  enrollTestAgent,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/connect.js';
import type { Notification } from '../../src/notifications/notification-port.js';

describe('sessions from a collector without a registry row, on postgres', () => {
  let db: TestDatabase;
  let first: TestServer;
  let second: TestServer | undefined;
  const seen: Notification[] = [];
  let stopListening = () => {};
  let closeNotifications = async () => {};

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    first = await startTestServer({ database: db });
    const port = await db.openNotifications();
    stopListening = port.subscribe((notification) => {
      seen.push(notification);
    });
    closeNotifications = () => port.close();
  });
  afterAll(async () => {
    stopListening();
    await second?.close();
    await first?.close();
    await closeNotifications();
    await db?.close();
  });

  it('are ended by the next collector to start, at their last sign of life, and their seats announced', async () => {
    const { projectId } = await createTestProject(first);
    const leftOpen = await enrollTestAgent(first, { projectId });
    const live = await enrollTestAgent(first, { projectId });
    const liveClient = await connectAgent(first, live);
    const lastSeen = new Date(Date.now() - 3_600_000);
    // As a collector from before migration 0021 left it when it was killed.
    await queryRows(
      db.database.db,
      sql`update agents set session = 'pre-registry-session', collector_id = null,
            connected_at = ${lastSeen.toISOString()}::timestamptz - interval '1 hour',
            last_seen_at = ${lastSeen.toISOString()}::timestamptz
          where id = ${leftOpen.agentId}`,
    );
    const connected = async (agentId: string) =>
      (await first.adminOk<{ connected: boolean }>('GET', `/projects/${projectId}/agents/${agentId}`))
        .connected;
    expect(await connected(leftOpen.agentId)).toBe(true);

    second = await startTestServer({ database: db });

    const rows = await queryRows<{ id: string; session: string | null; disconnected_at: string | null }>(
      db.database.db,
      sql`select id, session, disconnected_at::text from agents where id in (${leftOpen.agentId}, ${live.agentId})`,
    );
    const byId = Object.fromEntries(rows.map((row) => [row.id, row]));
    expect(byId[leftOpen.agentId]!.session).toBeNull();
    expect(new Date(byId[leftOpen.agentId]!.disconnected_at!).getTime()).toBe(lastSeen.getTime());
    // The session of a registered, living collector is not touched.
    expect(byId[live.agentId]!.session).toBe(liveClient.welcome!.session);
    expect({ leftOpen: await connected(leftOpen.agentId), live: await connected(live.agentId) }).toEqual({
      leftOpen: false,
      live: true,
    });
    const announced = () =>
      seen.filter(
        (n) => n.topic === 'seat.changed' && n.reason === 'disconnected' && n.agentId === leftOpen.agentId,
      ).length;
    await until('the seat announced disconnected', async () => announced() > 0);
    expect(announced()).toBe(1);
    await liveClient.close();
  });
});
