/**
 * Seat placement through the admin API (issue #13), on PGlite and PostgreSQL:
 * one seat renamed and moved, many moved by a list or a CSV file (all or
 * nothing, each bad row named), the team-of-the-site rule, who may do it,
 * and the audit entry with the old and the new placement.
 */
import type { Seat, SeatMoveResult } from '@seatwatch/shared/dashboard-api';
import { SEAT_MOVE_MAX_ROWS } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  DB_KINDS,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPage } from '../../src/audit/audit-log.js';

interface Named {
  id: string;
  name: string;
}

describe.each(DB_KINDS)('seat placement on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let projectId: string;
  let otherProjectId: string;
  const sites = {} as Record<'north' | 'south', string>;
  const teams = {} as Record<'billing' | 'sales' | 'floating', string>;
  const who = {} as Record<'adminA' | 'adminB' | 'supA', SignedIn>;

  const seats = () => server.adminOk<Seat[]>('GET', `/projects/${projectId}/seats`);
  const seatNamed = async (name: string) => (await seats()).find((s) => s.name === name)!;
  const newSeat = (name: string) => server.adminOk<Seat>('POST', `/projects/${projectId}/seats`, { name });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    projectId = (await server.adminOk<Named>('POST', '/projects', { name: 'Porto' })).id;
    otherProjectId = (await server.adminOk<Named>('POST', '/projects', { name: 'Braga' })).id;
    for (const name of ['north', 'south'] as const)
      sites[name] = (await server.adminOk<Named>('POST', `/projects/${projectId}/sites`, { name })).id;
    teams.billing = (
      await server.adminOk<Named>('POST', `/projects/${projectId}/teams`, {
        name: 'billing',
        siteId: sites.north,
      })
    ).id;
    teams.sales = (
      await server.adminOk<Named>('POST', `/projects/${projectId}/teams`, {
        name: 'sales',
        siteId: sites.south,
      })
    ).id;
    teams.floating = (
      await server.adminOk<Named>('POST', `/projects/${projectId}/teams`, { name: 'floating' })
    ).id;
    who.adminA = await createSignedInUser(server, 'admin-porto', [
      { role: 'administrator', projectId, teamId: null },
    ]);
    who.adminB = await createSignedInUser(server, 'admin-braga', [
      { role: 'administrator', projectId: otherProjectId, teamId: null },
    ]);
    who.supA = await createSignedInUser(server, 'sup-porto', [
      { role: 'supervisor', projectId, teamId: teams.billing },
    ]);
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const placements = async (seatId: string) =>
    (
      await auditPage(db.database.db, {
        projectIds: [projectId],
        action: 'seat.placement',
        seatId,
        limit: 10,
      })
    ).entries;

  it('moves a seat made without a team into a team, which takes it to the team’s site; audited with from and to', async () => {
    const seat = await newSeat('host-001');
    expect(seat).toMatchObject({ siteId: null, teamId: null });
    const moved = await server.adminOk<Seat>('PATCH', `/projects/${projectId}/seats/${seat.id}`, {
      teamId: teams.billing,
    });
    expect(moved).toMatchObject({
      id: seat.id,
      siteId: sites.north,
      teamId: teams.billing,
      name: 'host-001',
    });
    const [entry] = await placements(seat.id);
    expect(entry).toMatchObject({
      action: 'seat.placement',
      actor: expect.stringContaining('admin'),
      details: {
        from: { name: 'host-001', siteId: null, teamId: null },
        to: { name: 'host-001', siteId: sites.north, teamId: teams.billing },
      },
    });

    // A team of no site fits any site; the seat stays where it is.
    expect(
      await server.adminOk<Seat>('PATCH', `/projects/${projectId}/seats/${seat.id}`, {
        teamId: teams.floating,
      }),
    ).toMatchObject({ siteId: sites.north, teamId: teams.floating });
    // Nothing changed: no new entry.
    await server.adminOk('PATCH', `/projects/${projectId}/seats/${seat.id}`, { teamId: teams.floating });
    expect(await placements(seat.id)).toHaveLength(2);
  });

  it('renames a seat; names stay unique per project; a team of another site is refused', async () => {
    const seat = await newSeat('host-002');
    await newSeat('host-003');
    const path = `/projects/${projectId}/seats/${seat.id}`;
    expect(await server.adminOk<Seat>('PATCH', path, { name: 'Desk 2' })).toMatchObject({ name: 'Desk 2' });
    expect(await server.admin('PATCH', path, { name: 'host-003' })).toMatchObject({
      status: 409,
      body: { error: 'conflict' },
    });
    expect(await server.admin('PATCH', path, { siteId: sites.north, teamId: teams.sales })).toMatchObject({
      status: 422,
      body: { error: 'seat_team_elsewhere' },
    });
    await server.adminOk('PATCH', path, { teamId: teams.sales });
    // Moving the seat to another site while it stays in a team of this one is refused too.
    expect((await server.admin('PATCH', path, { siteId: sites.north })).body).toMatchObject({
      error: 'seat_team_elsewhere',
    });
    expect(await server.adminOk<Seat>('PATCH', path, { siteId: null, teamId: null })).toMatchObject({
      siteId: null,
      teamId: null,
    });
    expect((await server.admin('PATCH', path, { teamId: 'no-such-team' })).status).toBe(404);
    expect((await server.admin('PATCH', `/projects/${projectId}/seats/nope`, { name: 'x' })).status).toBe(
      404,
    );
    expect((await server.admin('PATCH', path, {})).status).toBe(400);
    // A site of another project is not this project's.
    const foreignSite = await server.adminOk<Named>('POST', `/projects/${otherProjectId}/sites`, {
      name: 'x',
    });
    expect((await server.admin('PATCH', path, { siteId: foreignSite.id })).status).toBe(404);
  });

  it('moves many seats by id or name at once, or none when one does not resolve', async () => {
    const a = await newSeat('bulk-a');
    await newSeat('bulk-b');
    const result = await server.adminOk<SeatMoveResult>('POST', `/projects/${projectId}/seats/move`, {
      seats: [a.id, 'bulk-b'],
      teamId: teams.sales,
    });
    expect(result.moved).toBe(2);
    expect(result.seats.map((s) => [s.name, s.siteId, s.teamId])).toEqual([
      ['bulk-a', sites.south, teams.sales],
      ['bulk-b', sites.south, teams.sales],
    ]);

    const refused = await server.admin('POST', `/projects/${projectId}/seats/move`, {
      seats: ['bulk-a', 'ghost', 'bulk-a'],
      teamId: teams.billing,
    });
    expect(refused).toMatchObject({ status: 422, body: { error: 'seat_move_invalid' } });
    const message = (refused.body as { message: string }).message;
    expect(message).toContain('row 2: no seat "ghost"');
    expect(message).toContain('row 3: seat "bulk-a" is already on row 1');
    expect(await seatNamed('bulk-a')).toMatchObject({ teamId: teams.sales });
  });

  it('moves seats as a CSV file says, all or nothing, with every bad row named', async () => {
    await newSeat('csv-1');
    await newSeat('csv-2');
    await newSeat('csv-3');
    const path = `/projects/${projectId}/seats/move-csv`;
    const good = '\uFEFFSeat,Site,Team\r\ncsv-1,,billing\r\n"csv-2",south,\r\n\r\ncsv-3,north,floating\r\n';
    const result = await server.adminOk<SeatMoveResult>('POST', path, { csv: good });
    expect(result.moved).toBe(3);
    expect(await seatNamed('csv-1')).toMatchObject({ siteId: sites.north, teamId: teams.billing });
    expect(await seatNamed('csv-2')).toMatchObject({ siteId: sites.south, teamId: null });
    expect(await seatNamed('csv-3')).toMatchObject({ siteId: sites.north, teamId: teams.floating });

    const bad = 'seat,site,team\ncsv-1,south,\ncsv-2,mars,\nnobody,,\ncsv-3,south,billing\n';
    const refused = await server.admin('POST', path, { csv: bad });
    expect(refused).toMatchObject({ status: 422, body: { error: 'seat_move_invalid' } });
    const message = (refused.body as { message: string }).message;
    expect(message).toContain('row 3: no site "mars"');
    expect(message).toContain('row 4: no seat "nobody"');
    expect(message).toContain('row 5: the team of seat "csv-3" belongs to another site');
    // Row 2 was fine, and was not applied either.
    expect(await seatNamed('csv-1')).toMatchObject({ siteId: sites.north, teamId: teams.billing });

    for (const [csv, problem] of [
      ['seat,site\n"csv-1,north\n', 'not well-formed CSV'],
      ['name,desk\ncsv-1,north\n', 'the header names a seat column'],
      ['seat,team\n', 'no seat rows'],
      [`seat,team\n${'csv-1,billing\n'.repeat(SEAT_MOVE_MAX_ROWS + 1)}`, `more than ${SEAT_MOVE_MAX_ROWS}`],
    ] as const) {
      const answer = await server.admin('POST', path, { csv });
      expect(answer).toMatchObject({ status: 422, body: { error: 'seat_move_invalid' } });
      expect((answer.body as { message: string }).message).toContain(problem);
    }
    // Longer than the schema allows: refused before it is parsed.
    expect((await server.admin('POST', path, { csv: 'x'.repeat(600 * 1024) })).status).toBe(400);
  });

  it('a supervisor cannot move seats; a project administrator only in their own project', async () => {
    const seat = await newSeat('roles-1');
    const path = `/api/v1/admin/projects/${projectId}/seats/${seat.id}`;
    expect((await asUser(server, who.supA, 'PATCH', path, { teamId: teams.billing })).status).toBe(403);
    expect((await asUser(server, who.adminB, 'PATCH', path, { teamId: teams.billing })).status).toBe(403);
    expect(
      (
        await asUser(server, who.adminB, 'POST', `/api/v1/admin/projects/${projectId}/seats/move-csv`, {
          csv: 'seat,team\nroles-1,billing\n',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await asUser(server, who.supA, 'POST', `/api/v1/admin/projects/${projectId}/seats/move`, {
          seats: ['roles-1'],
          teamId: teams.billing,
        })
      ).status,
    ).toBe(403);
    expect(await seatNamed('roles-1')).toMatchObject({ teamId: null });

    const moved = await asUser<Seat>(server, who.adminA, 'PATCH', path, { teamId: teams.billing });
    expect(moved).toMatchObject({ status: 200, body: { teamId: teams.billing } });
    const [entry] = await placements(seat.id);
    expect(entry).toMatchObject({ actor: 'user:admin-porto' });
  });
});
