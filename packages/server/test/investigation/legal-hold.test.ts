/**
 * Legal holds against the real retention job, on PGlite and PostgreSQL: a
 * held case keeps its time range (rows and screenshot bytes) past
 * retention, also rows that arrive in the range after the hold was placed,
 * while everything else of the seat goes; released, the range goes at the
 * next run.
 */
import type { CaseDetail } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, DAY, HOUR, type World, workEvents } from '@seatwatch/testkit/investigation-world';
import {
  createTestDatabase,
  DB_KINDS,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPage } from '../../src/audit/audit-log.js';
import { queryRows } from '../../src/db/connect.js';

describe.each(DB_KINDS)('legal hold on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let world: World;
  const now = Date.now();
  const held = now - 10 * DAY;
  const notHeld = now - 8 * DAY;
  let caseId: string;
  let heldShotSha: string;
  let secondInvestigator: SignedIn;

  const countIn = async (table: string, seatId: string, from: number, to: number, column = 'time') => {
    const [row] = await queryRows<{ n: number }>(
      db.database.db,
      sql`select count(*)::int as n from ${sql.raw(table)} where seat_id = ${seatId}
        and ${sql.raw(column)} >= ${new Date(from).toISOString()}::timestamptz
        and ${sql.raw(column)} < ${new Date(to).toISOString()}::timestamptz`,
    );
    return row!.n;
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // A one-day retention, below the default installation minimum of 60 days, which this installation lowers.
    server = await startTestServer({
      database: db,
      config: { retention: { intervalMs: 0, minimumDays: 1 } },
    });
    world = await buildWorld(server, held, { retentionDays: 1 });
    secondInvestigator = await createSignedInUser(server, 'inv-a2', [
      { role: 'investigator', projectId: world.projects.A, teamId: null },
    ]);
    const { client } = world.seats.a1;
    client.sendBatch(3, workEvents(notHeld));
    await client.ack(3);
    const [shot] = await queryRows<{ sha256: string }>(
      db.database.db,
      sql`select sha256 from screenshots where id = ${world.seats.a1.screenshotId}::bigint`,
    );
    heldShotSha = shot!.sha256;
    const created = await asUser<CaseDetail>(server, world.who.invA, 'POST', '/api/v1/investigation/cases', {
      projectId: world.projects.A,
      title: 'Retention test',
    });
    caseId = created.body.case.id;
    await asUser(server, world.who.invA, 'POST', `/api/v1/investigation/cases/${caseId}/items`, {
      kind: 'time_range',
      seatId: world.seats.a1.seatId,
      from: held,
      to: held + HOUR,
    });
  }, 180_000);

  afterAll(async () => {
    await world?.close();
    await server?.close();
    await db?.close();
  });

  describe('a case on legal hold', () => {
    it('needs a reason, and only its project’s investigators may place it', async () => {
      const path = `/api/v1/investigation/cases/${caseId}/legal-hold`;
      expect((await asUser(server, world.who.invA, 'POST', path, { hold: true, reason: '' })).status).toBe(
        400,
      );
      expect(
        (await asUser(server, world.who.invB, 'POST', path, { hold: true, reason: 'litigation 2026-17' }))
          .status,
      ).toBe(403);
      const placed = await asUser<CaseDetail>(server, world.who.invA, 'POST', path, {
        hold: true,
        reason: 'litigation 2026-17',
      });
      expect(placed.status).toBe(200);
      expect(placed.body.case).toMatchObject({ legalHold: true, legalHoldBy: 'user:inv-a' });
      expect(
        (await asUser(server, world.who.invA, 'POST', path, { hold: true, reason: 'litigation 2026-17' }))
          .status,
      ).toBe(409);
    });

    it('keeps its range past retention, with rows that arrived after the hold; the rest goes', async () => {
      // The agent delivers a late event inside the held hour.
      world.seats.a1.client.sendBatch(4, [
        {
          type: 'activity',
          time: held + 2_000_000,
          end: held + 2_100_000,
          app: 'mail',
          title: 'Late delivery',
        },
      ]);
      await world.seats.a1.client.ack(4);
      const seat = world.seats.a1.seatId;
      expect(await countIn('activity_spans', seat, notHeld, notHeld + HOUR, 'started_at')).toBe(3);

      const report = await server.app.seatwatch.runRetention();
      expect(report.ran).toBe(true);
      expect(await countIn('activity_spans', seat, held, held + HOUR, 'started_at')).toBe(4);
      expect(await countIn('device_events', seat, held, held + HOUR)).toBe(1);
      expect(await countIn('screenshots', seat, held, held + HOUR)).toBe(1);
      expect(await countIn('events', seat, held, held + HOUR)).toBe(7);
      expect(await server.blobs.has(heldShotSha)).toBe(true);
      // Outside the hold: the later day of the same seat, and the other seats, are gone.
      expect(await countIn('activity_spans', seat, notHeld, notHeld + HOUR, 'started_at')).toBe(0);
      expect(await countIn('activity_spans', world.seats.a2.seatId, held, held + HOUR, 'started_at')).toBe(0);
      expect(await countIn('screenshots', world.seats.a2.seatId, held, held + HOUR)).toBe(0);
      expect(report.rows.activity_spans).toBeGreaterThanOrEqual(3 + 3 + 3);
    });

    it('gives up an item only with a stated reason, which the audit log keeps', async () => {
      const added = await asUser<CaseDetail>(
        server,
        world.who.invA,
        'POST',
        `/api/v1/investigation/cases/${caseId}/items`,
        {
          kind: 'time_range',
          seatId: world.seats.a2.seatId,
          from: held,
          to: held + HOUR,
        },
      );
      const item = added.body.items.find((i) => i.seatId === world.seats.a2.seatId)!;
      const path = `/api/v1/investigation/cases/${caseId}/items/${item.id}`;
      const bare = await asUser(server, world.who.invA, 'DELETE', path);
      expect(bare).toMatchObject({ status: 400, body: { error: 'bad_request' } });
      const removed = await asUser<CaseDetail>(
        server,
        world.who.invA,
        'DELETE',
        `${path}?reason=${encodeURIComponent('added by mistake')}`,
      );
      expect(removed.status).toBe(200);
      expect(removed.body.items.map((i) => i.id)).not.toContain(item.id);
      const [entry] = await caseEntries('case.item_remove');
      expect(entry).toMatchObject({ actor: 'user:inv-a', reason: 'added by mistake' });
      expect(entry!.details).toMatchObject({ itemId: item.id, heldCase: true });
    });

    it('is released only by a second investigator, and both are named', async () => {
      const path = `/api/v1/investigation/cases/${caseId}/legal-hold`;
      const asked = await asUser<CaseDetail>(server, world.who.invA, 'POST', path, {
        hold: false,
        reason: 'settled out of court',
      });
      expect(asked.status).toBe(202);
      expect(asked.body.case.legalHold).toBe(true);
      // The one who asked cannot approve; another project's investigator cannot either.
      const again = await asUser(server, world.who.invA, 'POST', path, {
        hold: false,
        reason: 'settled, really',
      });
      expect(again).toMatchObject({ status: 409, body: { error: 'conflict' } });
      expect(
        (await asUser(server, world.who.invB, 'POST', path, { hold: false, reason: 'not mine' })).status,
      ).toBe(403);
      // While it waits, the hold holds.
      await server.app.seatwatch.runRetention();
      expect(await server.blobs.has(heldShotSha)).toBe(true);

      const approved = await asUser<CaseDetail>(server, secondInvestigator, 'POST', path, {
        hold: false,
        reason: 'confirmed with legal',
      });
      expect(approved.status).toBe(200);
      expect(approved.body.case.legalHold).toBe(false);
      const [request] = await caseEntries('case.hold_release_request');
      expect(request).toMatchObject({ actor: 'user:inv-a', reason: 'settled out of court' });
      const [release] = await caseEntries('case.hold_release');
      expect(release).toMatchObject({ actor: 'user:inv-a2', reason: 'confirmed with legal' });
      expect(release!.details).toMatchObject({
        requestedBy: 'user:inv-a',
        requestReason: 'settled out of court',
        requestSeq: request!.seq,
        approvedBy: 'user:inv-a2',
      });
    });

    it('goes at the next run once released', async () => {
      await server.app.seatwatch.runRetention();
      const seat = world.seats.a1.seatId;
      expect(await countIn('activity_spans', seat, held, held + HOUR, 'started_at')).toBe(0);
      expect(await countIn('screenshots', seat, held, held + HOUR)).toBe(0);
      expect(await server.blobs.has(heldShotSha)).toBe(false);
    });

    it('a later release needs a new request: an old one does not carry over to the next hold', async () => {
      const path = `/api/v1/investigation/cases/${caseId}/legal-hold`;
      expect(
        (await asUser(server, world.who.invA, 'POST', path, { hold: true, reason: 'new claim' })).status,
      ).toBe(200);
      const first = await asUser(server, secondInvestigator, 'POST', path, {
        hold: false,
        reason: 'claim withdrawn',
      });
      expect(first.status).toBe(202);
    });
  });

  /** The case's entries of one action, newest first. */
  const caseEntries = async (action: string) =>
    (await auditPage(db.database.db, { projectIds: null, caseId, action, limit: 20 })).entries;
});
