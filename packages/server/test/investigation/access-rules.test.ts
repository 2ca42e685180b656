/**
 * Who may read timelines, full screenshots, cases and the audit log,
 * through the real HTTP API on PGlite and PostgreSQL: investigators
 * (project-wide and team-narrowed), supervisors, auditors and
 * administrators, across two projects. Also: every such read lands in the
 * audit log with its reason.
 */
import type { AuditPage, CaseDetail, Timeline } from '@seatwatch/shared/dashboard-api';
import { asUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, DAY, HOUR, type World } from '@seatwatch/testkit/investigation-world';
import {
  createTestDatabase,
  DB_KINDS,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe.each(DB_KINDS)('access rules on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let world: World;
  const start = Date.now() - 2 * HOUR;
  const range = { from: start - HOUR, to: Date.now() + HOUR };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    world = await buildWorld(server, start);
  }, 180_000);

  afterAll(async () => {
    await world?.close();
    await server?.close();
    await db?.close();
  });

  const call = <T = unknown>(user: SignedIn | null, method: string, path: string, body?: unknown) =>
    asUser<T>(server, user, method, path, body);
  const timeline = (user: SignedIn, body: Record<string, unknown>) =>
    call<Timeline>(user, 'POST', '/api/v1/investigation/timeline', { ...range, ...body });
  const view = (user: SignedIn, screenshotId: string, body: Record<string, unknown>) =>
    call(user, 'POST', `/api/v1/investigation/screenshots/${screenshotId}/view`, body);
  const audit = (user: SignedIn, query = '') =>
    call<AuditPage>(user, 'GET', `/api/v1/investigation/audit${query}`);

  describe('timeline', () => {
    it('an investigator reads a seat of their project, with a reason', async () => {
      const answer = await timeline(world.who.invA, {
        seatIds: [world.seats.a1.seatId],
        reason: 'HR case 12: data leak',
      });
      expect(answer.status).toBe(200);
      const body = answer.body;
      expect(body.spans?.items.map((span) => span.title)).toEqual([
        'Ticket 4711 — Customer Müller',
        'Payment portal',
        '=Ticket 4712 (cmd|calc)',
      ]);
      expect(body.totals?.apps).toEqual([
        { app: 'crm', ms: 1_200_000, spans: 2 },
        { app: 'browser', ms: 300_000, spans: 1 },
      ]);
      expect(body.devices?.items.map((device) => device.name)).toEqual(['Cruzer Blade']);
      expect(body.states?.items.map((state) => state.state)).toEqual(['idle']);
      expect(body.screenshots?.items.map((shot) => shot.id)).toEqual([world.seats.a1.screenshotId]);
      expect(body.logins?.items.length).toBeGreaterThanOrEqual(1);
      expect(body.logins?.items.every((login) => login.ip === '127.0.0.1')).toBe(true);
    });

    it('searches window titles and pages on the server', async () => {
      const found = await timeline(world.who.invA, {
        seatIds: [world.seats.a1.seatId],
        q: 'ticket',
        reason: 'HR case 12: data leak',
      });
      expect(found.body.spans?.items.map((span) => span.title)).toEqual([
        'Ticket 4711 — Customer Müller',
        '=Ticket 4712 (cmd|calc)',
      ]);
      const first = await timeline(world.who.invA, {
        seatIds: [world.seats.a1.seatId],
        sections: ['spans'],
        limit: 2,
        reason: 'HR case 12: data leak',
      });
      expect(first.body.spans?.items).toHaveLength(2);
      expect(first.body.spans?.next).toEqual(expect.any(String));
      const second = await timeline(world.who.invA, {
        seatIds: [world.seats.a1.seatId],
        sections: ['spans'],
        limit: 2,
        cursors: { spans: first.body.spans!.next },
        reason: 'HR case 12: data leak',
      });
      expect(second.body.totals).toBeNull();
      expect(second.body.spans?.items.map((span) => span.title)).toEqual(['=Ticket 4712 (cmd|calc)']);
      expect(second.body.spans?.next).toBeNull();
    });

    it('finds an operator’s seats from their sign-ins', async () => {
      const answer = await timeline(world.who.invA, {
        operators: ['op-desk-a2'],
        reason: 'HR case 12: data leak',
        sections: ['spans'],
      });
      expect(answer.status).toBe(200);
      expect(answer.body.seats.map((seat) => seat.id)).toEqual([world.seats.a2.seatId]);
    });

    it('needs a reason or a case', async () => {
      const answer = await timeline(world.who.invA, { seatIds: [world.seats.a1.seatId] });
      expect(answer.status).toBe(400);
      expect(
        await timeline(world.who.invA, { seatIds: [world.seats.a1.seatId], reason: 'hmm' }),
      ).toMatchObject({ status: 400 });
    });

    it('is refused to supervisors, auditors, administrators and other projects’ investigators', async () => {
      const body = { seatIds: [world.seats.a1.seatId], reason: 'curious about this seat' };
      for (const role of ['supA', 'audA', 'adminA', 'root', 'invB'] as const) {
        expect({ role, status: (await timeline(world.who[role], body)).status }).toEqual({
          role,
          status: 403,
        });
      }
      expect(
        (await httpJson('POST', `${server.url}/api/v1/investigation/timeline`, { ...range, ...body })).status,
      ).toBe(401);
    });

    it('a team-narrowed investigator reads only that team’s seats', async () => {
      expect(
        (await timeline(world.who.invA1, { seatIds: [world.seats.a1.seatId], reason: 'team A1 matter' }))
          .status,
      ).toBe(200);
      expect(
        (await timeline(world.who.invA1, { seatIds: [world.seats.a2.seatId], reason: 'team A1 matter' }))
          .status,
      ).toBe(403);
      // Operators resolve only to seats in scope: no error, no data.
      const byOperator = await timeline(world.who.invA1, {
        operators: ['op-desk-a2'],
        reason: 'team A1 matter',
      });
      expect(byOperator.body.seats).toEqual([]);
    });

    it('refuses a range that is too long', async () => {
      const answer = await timeline(world.who.invA, {
        seatIds: [world.seats.a1.seatId],
        reason: 'HR case 12: data leak',
        from: 0,
        to: 500 * DAY,
      });
      expect(answer.status).toBe(400);
    });
  });

  describe('full-resolution screenshots', () => {
    it('an investigator gets the original bytes after giving a reason', async () => {
      const answer = await fetch(
        `${server.url}/api/v1/investigation/screenshots/${world.seats.a1.screenshotId}/view`,
        {
          method: 'POST',
          headers: {
            cookie: world.who.invA.cookie,
            'x-csrf-token': world.who.invA.csrf,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ reason: 'Ticket 4711 complaint review' }),
        },
      );
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('image/jpeg');
      expect(new Uint8Array(await answer.arrayBuffer())).toEqual(world.seats.a1.jpeg);
    });

    it('is refused without a reason or case, and to every other role', async () => {
      expect((await view(world.who.invA, world.seats.a1.screenshotId, {})).status).toBe(400);
      for (const role of ['supA', 'audA', 'adminA', 'root', 'invB'] as const) {
        const status = (
          await view(world.who[role], world.seats.a1.screenshotId, { reason: 'just looking at it' })
        ).status;
        expect({ role, status }).toEqual({ role, status: 403 });
      }
      expect(
        (await view(world.who.invA1, world.seats.a2.screenshotId, { reason: 'team A1 matter' })).status,
      ).toBe(403);
    });

    it('accepts a case of the same project instead of a reason, not one of another project', async () => {
      const created = await call<CaseDetail>(world.who.invA, 'POST', '/api/v1/investigation/cases', {
        projectId: world.projects.A,
        title: 'Leak via USB',
      });
      expect(created.status).toBe(201);
      const caseId = created.body.case.id;
      expect((await view(world.who.invA, world.seats.a1.screenshotId, { caseId })).status).toBe(200);
      const other = await call<CaseDetail>(world.who.invB, 'POST', '/api/v1/investigation/cases', {
        projectId: world.projects.B,
        title: 'B matter',
      });
      expect(
        (await view(world.who.invB, world.seats.a1.screenshotId, { caseId: other.body.case.id })).status,
      ).toBe(403);
      expect((await view(world.who.invB, world.seats.b1.screenshotId, { caseId })).status).toBe(404);
    });
  });

  describe('cases', () => {
    it('are worked by the project’s investigators only', async () => {
      const created = await call<CaseDetail>(world.who.invA, 'POST', '/api/v1/investigation/cases', {
        projectId: world.projects.A,
        title: 'Cross-project check',
      });
      const path = `/api/v1/investigation/cases/${created.body.case.id}`;
      expect((await call(world.who.invA, 'GET', path)).status).toBe(200);
      for (const role of ['invB', 'supA', 'audA', 'adminA', 'invA1'] as const) {
        expect({ role, status: (await call(world.who[role], 'GET', path)).status }).toEqual({
          role,
          status: 403,
        });
      }
      expect(
        (
          await call(world.who.invB, 'POST', '/api/v1/investigation/cases', {
            projectId: world.projects.A,
            title: 'x',
          })
        ).status,
      ).toBe(403);
      const listedByB = await call<Array<{ id: string }>>(
        world.who.invB,
        'GET',
        '/api/v1/investigation/cases',
      );
      expect(listedByB.body.map((c) => c.id)).not.toContain(created.body.case.id);
    });

    it('open from an anomaly with the anomaly and the half hour around it on its seat', async () => {
      // The anomaly rules have their own tests; here the row is made by the server's anomaly recorder.
      const at = start + 1_000_000;
      const anomaly = await server.app.anomalies.recorder.record(
        db.database.db,
        {
          projectId: world.projects.A,
          siteId: null,
          teamId: world.teams.A1,
          seatId: world.seats.a1.seatId,
          agentId: world.seats.a1.agent.agentId,
          operator: 'op-desk-a1',
        },
        { rule: 'usb_storage', severity: 'high', key: 'usb-1-1', at, evidence: [] },
      );
      if (!anomaly) throw new Error('usb_storage is off in the test project');
      const created = await call<CaseDetail>(world.who.invA, 'POST', '/api/v1/investigation/cases', {
        projectId: world.projects.A,
        title: 'USB stick',
        fromAnomalyId: anomaly.id,
      });
      expect(created.status).toBe(201);
      expect(created.body.case.openedFromAnomalyId).toBe(anomaly.id);
      expect(
        created.body.items.map((item) => [item.kind, item.refId, item.seatId, item.from, item.to]),
      ).toEqual([
        ['anomaly', anomaly.id, world.seats.a1.seatId, null, null],
        ['time_range', null, world.seats.a1.seatId, at - 30 * 60_000, at + 30 * 60_000],
      ]);
      expect(created.body.items[0]?.summary).toBe('usb_storage (high, 1×)');
      const fromB = await call(world.who.invB, 'POST', '/api/v1/investigation/cases', {
        projectId: world.projects.B,
        title: 'Not theirs',
        fromAnomalyId: anomaly.id,
      });
      expect(fromB.status).toBe(404);
    });

    it('refuse items from another project', async () => {
      const created = await call<CaseDetail>(world.who.invA, 'POST', '/api/v1/investigation/cases', {
        projectId: world.projects.A,
        title: 'Items',
      });
      const items = `/api/v1/investigation/cases/${created.body.case.id}/items`;
      expect(
        (
          await call(world.who.invA, 'POST', items, {
            kind: 'screenshot',
            refId: world.seats.b1.screenshotId,
          })
        ).status,
      ).toBe(404);
      const added = await call<CaseDetail>(world.who.invA, 'POST', items, {
        kind: 'screenshot',
        refId: world.seats.a1.screenshotId,
      });
      expect(added.status).toBe(201);
      expect(added.body.items.map((item) => [item.kind, item.seatId])).toEqual([
        ['screenshot', world.seats.a1.seatId],
      ]);
    });
  });

  describe('audit log', () => {
    it('shows auditors their project’s reads, with the stated reasons', async () => {
      const page = await audit(world.who.audA, `?projectId=${world.projects.A}&action=screenshot&limit=50`);
      expect(page.status).toBe(200);
      const views = page.body.entries.filter((entry) => entry.action === 'screenshot.view');
      expect(views.map((entry) => [entry.actor, entry.reason, entry.seatId])).toContainEqual([
        'user:inv-a',
        'Ticket 4711 complaint review',
        world.seats.a1.seatId,
      ]);
      const reads = await audit(world.who.audA, '?action=timeline.read&limit=200');
      expect(reads.body.entries.length).toBeGreaterThan(0);
      expect(reads.body.entries.every((entry) => entry.projectId === world.projects.A)).toBe(true);
      expect(
        reads.body.entries.find((entry) => entry.reason === 'HR case 12: data leak')?.details,
      ).toMatchObject({
        from: range.from,
        to: range.to,
      });
    });

    it('is closed to investigators and supervisors, and to auditors of other projects', async () => {
      expect((await audit(world.who.invA)).status).toBe(403);
      expect((await audit(world.who.supA)).status).toBe(403);
      expect((await audit(world.who.audB, `?projectId=${world.projects.A}`)).status).toBe(403);
      const ofB = await audit(world.who.audB, '?limit=500');
      expect(ofB.body.entries.every((entry) => entry.projectId === world.projects.B)).toBe(true);
    });

    it('records sign-ins (also failed ones) and administrative changes', async () => {
      const failed = await httpJson('POST', `${server.url}/api/v1/auth/login`, {
        username: 'inv-a',
        password: 'wrong password',
      });
      expect(failed.status).toBe(401);
      const site = await call(world.who.root, 'POST', `/api/v1/admin/projects/${world.projects.A}/sites`, {
        name: 'Site audited',
      });
      expect(site.status).toBe(201);
      const all = await audit(world.who.root, '?limit=500');
      const logins = all.body.entries.filter((entry) => entry.action === 'auth.login');
      expect(logins.map((entry) => [entry.outcome, entry.details.username])).toContainEqual([
        'refused',
        'inv-a',
      ]);
      expect(
        all.body.entries.some((entry) => entry.action === 'auth.setup' && entry.actor === 'user:aud-a'),
      ).toBe(true);
      const change = all.body.entries.find(
        (entry) =>
          entry.action === 'admin.change' &&
          entry.details.route === '/api/v1/admin/projects/:projectId/sites',
      );
      expect(change).toMatchObject({ actor: 'user:root', outcome: 'success', projectId: world.projects.A });
      expect(JSON.stringify(all.body.entries)).not.toContain('wrong password');
      // A project auditor does not see installation-wide sign-ins (they name no project).
      const ofA = await audit(world.who.audA, '?action=auth&limit=500');
      expect(ofA.body.entries).toEqual([]);
    });
  });
});
