/**
 * Authorization through the real HTTP API, on PGlite and PostgreSQL: each
 * role against each route family, including cross-project and cross-team
 * attempts that the server must refuse whatever a UI would show. Two
 * projects (A, B), A with teams A1 and A2 and a seat without team; real
 * agents enrolled and connected, with a real screenshot each.
 */
import type { Board, BoardSeat, SetupLinkResponse, UserRow } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  connectAgent,
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  httpJson,
  sampleEvents,
  startTestServer,
  type TestAgentClient,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe.each(DB_KINDS)('dashboard API authorization on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  const clients: TestAgentClient[] = [];
  const ids = {} as Record<'A' | 'B' | 'A1' | 'A2' | 'B1' | 'siteA', string>;
  const seats = {} as Record<'a1' | 'a2' | 'a0' | 'b1', string>;
  const shots = {} as Record<'a1' | 'b1', string>;
  const who = {} as Record<'root' | 'adminA' | 'supA1' | 'invA' | 'audA' | 'supB', SignedIn>;
  const day = () => `from=${Date.now() - 3_600_000}&to=${Date.now() + 3_600_000}`;

  async function seatWithAgent(projectId: string, name: string, teamId: string | null): Promise<string> {
    const seat = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, {
      name,
      ...(teamId ? { teamId } : {}),
    });
    const agent = await enrollTestAgent(server, { projectId, hostname: name });
    const client = await connectAgent(server, agent);
    clients.push(client);
    client.sendBatch(1, sampleEvents(3));
    client.sendBlob(2, await testJpeg());
    await client.ack(2);
    return seat.id;
  }

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    ids.A = (await createTestProject(server, { name: 'Project A' })).projectId;
    ids.B = (await createTestProject(server, { name: 'Project B' })).projectId;
    ids.siteA = (
      await server.adminOk<{ id: string }>('POST', `/projects/${ids.A}/sites`, { name: 'Site A' })
    ).id;
    const team = async (projectId: string, name: string) =>
      (await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/teams`, { name })).id;
    ids.A1 = await team(ids.A, 'A1');
    ids.A2 = await team(ids.A, 'A2');
    ids.B1 = await team(ids.B, 'B1');
    seats.a1 = await seatWithAgent(ids.A, 'desk-a1', ids.A1);
    seats.a2 = await seatWithAgent(ids.A, 'desk-a2', ids.A2);
    seats.a0 = (
      await server.adminOk<{ id: string }>('POST', `/projects/${ids.A}/seats`, { name: 'desk-a0' })
    ).id;
    seats.b1 = await seatWithAgent(ids.B, 'desk-b1', ids.B1);

    who.root = await createSignedInUser(server, 'root', [
      { role: 'administrator', projectId: null, teamId: null },
    ]);
    who.adminA = await createSignedInUser(server, 'admin-a', [
      { role: 'administrator', projectId: ids.A, teamId: null },
    ]);
    who.supA1 = await createSignedInUser(server, 'sup-a1', [
      { role: 'supervisor', projectId: ids.A, teamId: ids.A1 },
    ]);
    who.invA = await createSignedInUser(server, 'inv-a', [
      { role: 'investigator', projectId: ids.A, teamId: null },
    ]);
    who.audA = await createSignedInUser(server, 'aud-a', [
      { role: 'auditor', projectId: ids.A, teamId: null },
    ]);
    who.supB = await createSignedInUser(server, 'sup-b', [
      { role: 'supervisor', projectId: ids.B, teamId: null },
    ]);

    const board = await asUser<Board>(server, who.root, 'GET', '/api/v1/board');
    const shotOf = (seatId: string) => board.body.seats.find((seat) => seat.id === seatId)!.screenshot!.id;
    shots.a1 = shotOf(seats.a1);
    shots.b1 = shotOf(seats.b1);
  }, 120_000);

  afterAll(async () => {
    for (const client of clients) await client.close();
    await server?.close();
    await db?.close();
  });

  const status = async (user: SignedIn | null, method: string, path: string, body?: unknown) =>
    (await asUser(server, user, method, path, body)).status;

  describe('every route declares its authorization', () => {
    it('no /api route is left to the default (which refuses)', () => {
      const undeclared = server.app.routeDeclarations
        .filter((route) => route.url.startsWith('/api/') && route.authz === undefined)
        .map((route) => `${route.method} ${route.url}`);
      expect(undeclared).toEqual([]);
    });

    it('public /api routes are only sign-in, setup, enrollment, the operator self-view and the API docs', () => {
      const publicRoutes = server.app.routeDeclarations
        .filter((route) => route.url.startsWith('/api/') && route.authz && 'public' in route.authz)
        .filter((route) => route.method !== 'HEAD' && !route.url.startsWith('/api/docs'))
        .map((route) => `${route.method} ${route.url}`);
      expect(publicRoutes.sort()).toEqual(
        [
          'GET /api/v1/auth/session',
          'POST /api/v1/auth/login',
          'POST /api/v1/auth/logout',
          'POST /api/v1/auth/setup/complete',
          'POST /api/v1/auth/setup/inspect',
          'POST /api/v1/enroll',
          // The operator's own view (issue #7): a signed agent request, a one-time link, then its own cookie.
          'GET /api/v1/self-view',
          'GET /api/v1/self-view/screenshots/:screenshotId/thumbnail',
          'POST /api/v1/self-view/links',
          'POST /api/v1/self-view/session',
        ].sort(),
      );
    });
  });

  describe('board', () => {
    const seatIds = async (user: SignedIn) =>
      (await asUser<Board>(server, user, 'GET', '/api/v1/board')).body.seats
        .map((seat: BoardSeat) => seat.id)
        .sort();

    it('shows each viewer only the seats in scope', async () => {
      expect(await seatIds(who.root)).toEqual([seats.a0, seats.a1, seats.a2, seats.b1].sort());
      expect(await seatIds(who.adminA)).toEqual([seats.a0, seats.a1, seats.a2].sort());
      expect(await seatIds(who.supA1)).toEqual([seats.a1]);
      expect(await seatIds(who.supB)).toEqual([seats.b1]);
      const board = (await asUser<Board>(server, who.supA1, 'GET', '/api/v1/board')).body;
      expect(board.projects.map((project) => project.id)).toEqual([ids.A]);
      expect(board.teams.map((team) => team.id)).toEqual([ids.A1]);
    });

    it('refuses roles without the board, and anonymous callers', async () => {
      expect(await status(who.invA, 'GET', '/api/v1/board')).toBe(403);
      expect(await status(who.audA, 'GET', '/api/v1/board')).toBe(403);
      expect(await status(null, 'GET', '/api/v1/board')).toBe(401);
    });

    it('the admin token (CLI, automation) sees everything', async () => {
      const answer = await httpJson<Board>('GET', `${server.url}/api/v1/board`, undefined, {
        headers: { authorization: `Bearer ${server.adminToken}` },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.seats).toHaveLength(4);
      const wrong = await httpJson('GET', `${server.url}/api/v1/board`, undefined, {
        headers: { authorization: 'Bearer not-the-token' },
      });
      expect(wrong.status).toBe(401);
    });
  });

  describe('seat detail, capture and thumbnails', () => {
    it('a team supervisor reaches only its team’s seats', async () => {
      expect(await status(who.supA1, 'GET', `/api/v1/seats/${seats.a1}?${day()}`)).toBe(200);
      expect(await status(who.supA1, 'GET', `/api/v1/seats/${seats.a2}?${day()}`)).toBe(403);
      expect(await status(who.supA1, 'GET', `/api/v1/seats/${seats.a0}?${day()}`)).toBe(403);
      expect(await status(who.supA1, 'GET', `/api/v1/seats/${seats.b1}?${day()}`)).toBe(403);
    });

    it('project roles reach the project’s seats and nothing in another project', async () => {
      for (const seat of [seats.a1, seats.a2, seats.a0]) {
        expect(await status(who.adminA, 'GET', `/api/v1/seats/${seat}?${day()}`)).toBe(200);
        expect(await status(who.invA, 'GET', `/api/v1/seats/${seat}?${day()}`)).toBe(200);
      }
      expect(await status(who.adminA, 'GET', `/api/v1/seats/${seats.b1}?${day()}`)).toBe(403);
      expect(await status(who.invA, 'GET', `/api/v1/seats/${seats.b1}?${day()}`)).toBe(403);
      expect(await status(who.audA, 'GET', `/api/v1/seats/${seats.a1}?${day()}`)).toBe(403);
      expect(await status(who.adminA, 'GET', `/api/v1/seats/no-such-seat?${day()}`)).toBe(404);
    });

    it('capture now: supervisors and administrators of the seat only', async () => {
      expect(await status(who.supA1, 'POST', `/api/v1/seats/${seats.a1}/capture`)).toBe(202);
      expect(await status(who.adminA, 'POST', `/api/v1/seats/${seats.a2}/capture`)).toBe(202);
      expect(await status(who.supA1, 'POST', `/api/v1/seats/${seats.a2}/capture`)).toBe(403);
      expect(await status(who.supA1, 'POST', `/api/v1/seats/${seats.b1}/capture`)).toBe(403);
      expect(await status(who.invA, 'POST', `/api/v1/seats/${seats.a1}/capture`)).toBe(403);
      expect(await status(who.audA, 'POST', `/api/v1/seats/${seats.a1}/capture`)).toBe(403);
    });

    it('thumbnails are blurred for supervisors, clear for administrators, refused across projects', async () => {
      const get = (user: SignedIn, shot: string) =>
        asUser(server, user, 'GET', `/api/v1/screenshots/${shot}/thumbnail`);
      const forSupervisor = await get(who.supA1, shots.a1);
      expect(forSupervisor.status).toBe(200);
      expect(forSupervisor.headers['content-type']).toBe('image/webp');
      expect(forSupervisor.headers['x-seatwatch-blurred']).toBe('1');
      const forAdmin = await get(who.adminA, shots.a1);
      expect(forAdmin.headers['x-seatwatch-blurred']).toBe('0');
      expect((await get(who.supA1, shots.b1)).status).toBe(403);
      expect((await get(who.adminA, shots.b1)).status).toBe(403);
      expect((await get(who.audA, shots.a1)).status).toBe(403);
    });

    it('the project setting shows supervisors clear thumbnails', async () => {
      const path = `/api/v1/admin/projects/${ids.A}/dashboard-settings`;
      expect(await status(who.adminA, 'PUT', path, { clearThumbnails: true, requireTotp: false })).toBe(200);
      const answer = await asUser(server, who.supA1, 'GET', `/api/v1/screenshots/${shots.a1}/thumbnail`);
      expect(answer.headers['x-seatwatch-blurred']).toBe('0');
      expect(await status(who.adminA, 'PUT', path, { clearThumbnails: false, requireTotp: false })).toBe(200);
    });
  });

  describe('the live stream', () => {
    it('refuses anonymous callers and roles without seats', async () => {
      expect(await status(null, 'GET', '/api/v1/live')).toBe(401);
      expect(await status(who.audA, 'GET', '/api/v1/live')).toBe(403);
    });
  });

  describe('users and roles', () => {
    it('a project administrator lists only accounts of its project', async () => {
      const answer = await asUser<UserRow[]>(server, who.adminA, 'GET', '/api/v1/admin/users');
      expect(answer.status).toBe(200);
      expect(answer.body.map((user) => user.username).sort()).toEqual([
        'admin-a',
        'aud-a',
        'inv-a',
        'sup-a1',
      ]);
      expect(await status(who.supA1, 'GET', '/api/v1/admin/users')).toBe(403);
      expect(await status(who.audA, 'GET', '/api/v1/admin/users')).toBe(403);
    });

    it('grants roles in its own project only', async () => {
      const inB = {
        username: 'x-in-b',
        displayName: '',
        grants: [{ role: 'supervisor', projectId: ids.B, teamId: null }],
      };
      expect(await status(who.adminA, 'POST', '/api/v1/admin/users', inB)).toBe(403);
      const everywhere = {
        username: 'x-root',
        displayName: '',
        grants: [{ role: 'administrator', projectId: null, teamId: null }],
      };
      expect(await status(who.adminA, 'POST', '/api/v1/admin/users', everywhere)).toBe(403);
      const teamOfB = {
        username: 'x-team',
        displayName: '',
        grants: [{ role: 'supervisor', projectId: ids.A, teamId: ids.B1 }],
      };
      expect(await status(who.adminA, 'POST', '/api/v1/admin/users', teamOfB)).toBe(400);
      const inA = {
        username: 'new-sup',
        displayName: 'New',
        grants: [{ role: 'supervisor', projectId: ids.A, teamId: ids.A2 }],
      };
      const created = await asUser<SetupLinkResponse>(server, who.adminA, 'POST', '/api/v1/admin/users', inA);
      expect(created.status).toBe(201);
      expect(created.body.setupUrl).toMatch(/\/setup#token=[A-Za-z0-9_-]{43}$/);
    });

    it('cannot touch accounts that live in another project', async () => {
      const users = (await asUser<UserRow[]>(server, who.root, 'GET', '/api/v1/admin/users')).body;
      const supB = users.find((user) => user.username === 'sup-b')!;
      const root = users.find((user) => user.username === 'root')!;
      expect(await status(who.adminA, 'PATCH', `/api/v1/admin/users/${supB.id}`, { disabled: true })).toBe(
        403,
      );
      expect(await status(who.adminA, 'POST', `/api/v1/admin/users/${root.id}/setup-link`)).toBe(403);
      expect(await status(who.adminA, 'DELETE', `/api/v1/admin/users/${supB.id}/sessions`)).toBe(403);
      // Giving a project-A account a role in B is refused too.
      const supA1 = users.find((user) => user.username === 'sup-a1')!;
      const grants = [...supA1.grants, { role: 'supervisor', projectId: ids.B, teamId: null }];
      expect(await status(who.adminA, 'PATCH', `/api/v1/admin/users/${supA1.id}`, { grants })).toBe(403);
    });

    it('installation-wide settings need an installation administrator', async () => {
      expect(await status(who.adminA, 'GET', '/api/v1/admin/dashboard-allowlist')).toBe(403);
      expect(await status(who.root, 'GET', '/api/v1/admin/dashboard-allowlist')).toBe(200);
      expect(await status(who.adminA, 'GET', `/api/v1/admin/projects/${ids.B}/dashboard-settings`)).toBe(403);
      expect(await status(who.supA1, 'GET', `/api/v1/admin/projects/${ids.A}/dashboard-settings`)).toBe(403);
    });
  });

  describe('the administration API behind sign-in', () => {
    it('project administrators see and manage their projects only', async () => {
      const list = await asUser<{ id: string }[]>(server, who.adminA, 'GET', '/api/v1/admin/projects');
      expect(list.status).toBe(200);
      expect(list.body.map((project) => project.id)).toEqual([ids.A]);
      expect(await status(who.adminA, 'GET', `/api/v1/admin/projects/${ids.A}/seats`)).toBe(200);
      expect(await status(who.adminA, 'GET', `/api/v1/admin/projects/${ids.B}/seats`)).toBe(403);
      expect(await status(who.adminA, 'POST', `/api/v1/admin/projects/${ids.B}/tokens`, {})).toBe(403);
      expect(await status(who.adminA, 'POST', '/api/v1/admin/projects', { name: 'Sneaky' })).toBe(403);
      expect(await status(who.root, 'POST', '/api/v1/admin/projects', { name: 'Project C' })).toBe(201);
    });

    it('other roles and anonymous callers are refused', async () => {
      expect(await status(who.supA1, 'GET', '/api/v1/admin/projects')).toBe(403);
      expect(await status(who.invA, 'GET', `/api/v1/admin/projects/${ids.A}/seats`)).toBe(403);
      expect(await status(who.audA, 'GET', `/api/v1/admin/projects/${ids.A}/allowlist`)).toBe(403);
      expect(await status(null, 'GET', '/api/v1/admin/projects')).toBe(401);
    });
  });

  describe('CSRF', () => {
    it('refuses a state change with the cookie but without the session’s token', async () => {
      const headers = { cookie: who.supA1.cookie };
      const bare = await httpJson('POST', `${server.url}/api/v1/seats/${seats.a1}/capture`, undefined, {
        headers,
      });
      expect(bare.status).toBe(403);
      const foreign = await httpJson('POST', `${server.url}/api/v1/seats/${seats.a1}/capture`, undefined, {
        headers: { ...headers, 'x-csrf-token': who.adminA.csrf },
      });
      expect(foreign.status).toBe(403);
      const crossSite = await httpJson('POST', `${server.url}/api/v1/seats/${seats.a1}/capture`, undefined, {
        headers: { ...headers, 'x-csrf-token': who.supA1.csrf, origin: 'https://evil.example' },
      });
      expect(crossSite.status).toBe(403);
    });
  });
});
