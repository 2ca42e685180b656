/**
 * Window titles on the board (issue #13) through the real HTTP API and
 * protocol sockets, on PGlite and PostgreSQL: a tile carries its seat's
 * latest window title unless the seat's effective policy (its site's when
 * the site has one, else its project's) sets showWindowTitles to false, in
 * which case the title never leaves the server.
 */
import { DEFAULT_POLICY } from '@seatwatch/shared';
import type { Board, ProjectPolicy } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe.each(DB_KINDS)('window titles on the board on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: SignedIn;
  let projectId = '';
  let siteId = '';
  const clients: TestAgentClient[] = [];
  const seatIds: Record<string, string> = {};

  async function reportingSeat(name: string, title: string, site?: string) {
    const seat = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, {
      name,
      ...(site ? { siteId: site } : {}),
    });
    seatIds[name] = seat.id;
    const agent = await enrollTestAgent(server, { projectId, hostname: name, osUser: `op-${name}` });
    const client = await TestAgentClient.connect(server, agent);
    clients.push(client);
    await client.hello({ info: { ...client.helloPayload().info, osUser: `op-${name}` } });
    const now = Date.now();
    client.sendBatch(1, [
      { type: 'status', time: now - 2000, state: 'active', idleMs: 0 },
      { type: 'activity', time: now - 2000, end: now - 1000, app: 'crm', title },
    ]);
    await client.ack(1);
  }

  async function setTitles(show: boolean, site?: string) {
    const query = site ? `?siteId=${site}` : '';
    const stored = await server.adminOk<ProjectPolicy>('GET', `/projects/${projectId}/policy${query}`);
    await server.adminOk('PUT', `/projects/${projectId}/policy`, {
      ...(site ? { siteId: site } : {}),
      policy: { ...DEFAULT_POLICY, ...stored.policy, showWindowTitles: show },
      noticeText: stored.notice.text,
    });
  }

  async function titles(): Promise<Record<string, string | null>> {
    const board = await asUser<Board>(server, admin, 'GET', '/api/v1/board');
    expect(board.status).toBe(200);
    return Object.fromEntries(
      Object.entries(seatIds).map(([name, id]) => [name, board.body.seats.find((s) => s.id === id)!.title]),
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    ({ projectId } = await createTestProject(server, { name: 'Floor' }));
    admin = await createSignedInUser(server, 'board-admin', [
      { role: 'administrator', projectId, teamId: null },
    ]);
    siteId = (
      await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/sites`, { name: 'Lisbon' })
    ).id;
    await reportingSeat('desk-a', 'Ticket 4711');
    await reportingSeat('desk-b', 'Ticket 4712', siteId);
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.close().catch(() => undefined);
    await server?.close();
    await db?.close();
  });

  it('shows each seat’s latest title by default', async () => {
    expect(await titles()).toEqual({ 'desk-a': 'Ticket 4711', 'desk-b': 'Ticket 4712' });
  });

  it('leaves titles out where the project’s policy says so, and a site’s own policy decides for its seats', async () => {
    await setTitles(false);
    expect(await titles()).toEqual({ 'desk-a': null, 'desk-b': null });
    await setTitles(true, siteId);
    expect(await titles()).toEqual({ 'desk-a': null, 'desk-b': 'Ticket 4712' });
    await setTitles(false, siteId);
    await setTitles(true);
    expect(await titles()).toEqual({ 'desk-a': 'Ticket 4711', 'desk-b': null });
  });
});
