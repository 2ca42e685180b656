/**
 * A seat held as a whole through the admin API, on PGlite and PostgreSQL
 * (issue #11): placing and releasing need a reason; releasing takes two
 * administrators of the project. The first release call asks (202, the
 * seat stays held, `seat.hold_release_request` in the audit log); the one
 * who asked cannot approve, an administrator of another project is
 * refused, a second administrator approves and `seat.hold_release` names
 * both. A request older than a week no longer counts: the next release
 * call asks again. One action, one entry: the hold's own entries, no
 * `admin.change` of the request trail beside them.
 */
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPage, projectAuditEntries, recordAudit } from '../../src/audit/audit-log.js';

const DAY = 86_400_000;

interface SeatView {
  id: string;
  legalHold: boolean;
}

describe.each(DB_KINDS)('a whole seat’s legal hold on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let projectId: string;
  let seatId: string;
  let path: string;
  let firstAdmin: SignedIn;
  let secondAdmin: SignedIn;
  let otherAdmin: SignedIn;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    projectId = (await createTestProject(server)).projectId;
    const other = (await createTestProject(server)).projectId;
    seatId = (await server.adminOk<SeatView>('POST', `/projects/${projectId}/seats`, { name: 'Desk 7' })).id;
    path = `/projects/${projectId}/seats/${seatId}/legal-hold`;
    const admin = (name: string, project: string) =>
      createSignedInUser(server, name, [{ role: 'administrator', projectId: project, teamId: null }]);
    firstAdmin = await admin('admin-1', projectId);
    secondAdmin = await admin('admin-2', projectId);
    otherAdmin = await admin('admin-other', other);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const asAdmin = (who: SignedIn, body: unknown) =>
    asUser<SeatView>(server, who, 'PUT', `/api/v1/admin${path}`, body);
  const held = async () =>
    (await server.adminOk<SeatView[]>('GET', `/projects/${projectId}/seats`)).find((s) => s.id === seatId)!
      .legalHold;
  /** The seat's entries of one action, newest first. */
  const seatEntries = async (action: string) =>
    (await auditPage(db.database.db, { projectIds: [projectId], seatId, action, limit: 20 })).entries;

  it('needs a reason to place a hold, and records it', async () => {
    expect(await server.admin('PUT', path, { hold: true })).toMatchObject({
      status: 400,
      body: { error: 'bad_request' },
    });
    expect((await server.admin('PUT', path, { hold: true, reason: 'no' })).status).toBe(400);
    expect(await held()).toBe(false);

    const placed = await server.admin<SeatView>('PUT', path, { hold: true, reason: 'complaint 4411' });
    expect(placed).toMatchObject({ status: 200, body: { id: seatId, legalHold: true } });
    const [entry] = await seatEntries('seat.hold_place');
    expect(entry).toMatchObject({
      actor: 'admin-token',
      projectId,
      seatId,
      reason: 'complaint 4411',
      target: { kind: 'seat', id: seatId },
    });
  });

  it('is released only by a second administrator of the project, and both are named', async () => {
    expect((await asAdmin(firstAdmin, { hold: false })).status).toBe(400);

    const asked = await asAdmin(firstAdmin, { hold: false, reason: 'complaint withdrawn' });
    expect(asked).toMatchObject({ status: 202, body: { legalHold: true } });
    expect(await held()).toBe(true);
    const [request] = await seatEntries('seat.hold_release_request');
    expect(request).toMatchObject({ actor: 'user:admin-1', reason: 'complaint withdrawn', seatId });

    // The one who asked cannot approve; an administrator of another project cannot even ask.
    expect(await asAdmin(firstAdmin, { hold: false, reason: 'withdrawn, really' })).toMatchObject({
      status: 409,
      body: { error: 'conflict' },
    });
    expect((await asAdmin(otherAdmin, { hold: false, reason: 'not mine to release' })).status).toBe(403);
    expect(await held()).toBe(true);
    expect(await seatEntries('seat.hold_release')).toEqual([]);

    const approved = await asAdmin(secondAdmin, { hold: false, reason: 'confirmed with legal' });
    expect(approved).toMatchObject({ status: 200, body: { legalHold: false } });
    expect(await held()).toBe(false);
    const [release] = await seatEntries('seat.hold_release');
    expect(release).toMatchObject({ actor: 'user:admin-2', reason: 'confirmed with legal', seatId });
    expect(release!.details).toMatchObject({
      requestedBy: 'user:admin-1',
      requestReason: 'complaint withdrawn',
      requestSeq: request!.seq,
      approvedBy: 'user:admin-2',
    });
    expect(release!.details.requestedById).toEqual(expect.any(String));
    expect(release!.details.approvedById).not.toBe(release!.details.requestedById);
  });

  it('the admin token is one person: it cannot approve its own request', async () => {
    await server.adminOk('PUT', path, { hold: true, reason: 'second complaint' });
    expect((await server.admin('PUT', path, { hold: false, reason: 'settled' })).status).toBe(202);
    expect(await server.admin('PUT', path, { hold: false, reason: 'settled' })).toMatchObject({
      status: 409,
      body: { error: 'conflict' },
    });
    expect((await asAdmin(firstAdmin, { hold: false, reason: 'settled, approved' })).status).toBe(200);
    expect(await held()).toBe(false);
  });

  it('a new hold ends a waiting request, and a request older than a week no longer counts', async () => {
    await server.adminOk('PUT', path, { hold: true, reason: 'third complaint' });
    expect((await asAdmin(firstAdmin, { hold: false, reason: 'settled' })).status).toBe(202);
    await server.adminOk('PUT', path, { hold: true, reason: 'new evidence arrived' });
    // The request before the new hold is not approved by this call: it asks anew.
    expect((await asAdmin(secondAdmin, { hold: false, reason: 'settled again' })).status).toBe(202);
    expect(await held()).toBe(true);

    // A request eight days old (written as the route writes one, eight days back) has lapsed.
    await recordAudit(
      db.database.db,
      {
        actor: 'user:admin-1',
        action: 'seat.hold_release_request',
        projectId,
        seatId,
        target: { kind: 'seat', id: seatId },
        reason: 'long ago',
      },
      Date.now() - 8 * DAY,
    );
    expect((await asAdmin(secondAdmin, { hold: false, reason: 'settled again' })).status).toBe(202);
    expect(await held()).toBe(true);
    expect((await asAdmin(firstAdmin, { hold: false, reason: 'approved' })).status).toBe(200);
    expect(await held()).toBe(false);
  });

  it('writes one entry per action: the seat.hold_* entries, no admin.change beside them', async () => {
    const entries = await projectAuditEntries(db.database.db, projectId);
    const holdRoute = '/api/v1/admin/projects/:projectId/seats/:seatId/legal-hold';
    const changes = entries.filter((entry) => entry.action === 'admin.change');
    // The trail still records the project's other changes (creating the seat), so the check below can fail.
    expect(changes.map((entry) => entry.details.route)).toContain('/api/v1/admin/projects/:projectId/seats');
    expect(changes.filter((entry) => entry.details.route === holdRoute)).toEqual([]);
    // Every successful hold call of the tests above (places, requests, approvals) has its own entry.
    expect(entries.filter((entry) => entry.action.startsWith('seat.hold_')).length).toBeGreaterThanOrEqual(
      10,
    );
  });

  it('releasing a seat that is not held changes nothing and records nothing', async () => {
    const before = (await seatEntries('seat')).length;
    expect(await server.admin('PUT', path, { hold: false, reason: 'nothing to release' })).toMatchObject({
      status: 200,
      body: { legalHold: false },
    });
    expect(await seatEntries('seat')).toHaveLength(before);
    expect(
      (
        await server.admin('PUT', `/projects/${projectId}/seats/nope/legal-hold`, {
          hold: true,
          reason: 'no such seat',
        })
      ).status,
    ).toBe(404);
  });
});
