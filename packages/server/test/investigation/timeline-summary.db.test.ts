/**
 * The visual timeline's summary (issue #13 follow-up), on PGlite and
 * PostgreSQL through the real HTTP API, with a team of 50 seats holding a
 * day each (seedSeatHistory: a span every 45 s of an 8-hour shift, status
 * changes every 24 minutes, screenshots every 5, USB events, hellos,
 * anomalies). Zoomed out, the dashboard reads the whole team with one
 * request, which is one access record and one audit entry naming every
 * seat, not one per seat and page (reading every page of the detailed
 * timeline wrote ~250); a repeat within the minute only counts up, and the
 * minute's flush reports the count. What each cell says is checked against
 * the seeded day; role, scope and purpose are checked like the timeline's;
 * the operator self-view and the audit log's seat filter find the look at
 * each seat it named. The detailed timeline's reads are recorded the same
 * way: one entry per query and project, its pages counted into it.
 */
import type { AuditEntryView, AuditPage, Timeline, TimelineSummary } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  seedSeatHistory,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorLooks } from '../../src/access-records/access-records.repository.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const TEAM = 50;
const SUMMARY = '/api/v1/investigation/timeline/summary';

describe.each(DB_KINDS)('the visual timeline summary on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let projectId: string;
  let teamId: string;
  let seatIds: string[];
  let investigator: SignedIn;
  let supervisor: SignedIn;
  let outsider: SignedIn;
  let root: SignedIn;
  // The clock follows the real one while seats are made (TOTP codes), then stands still: a minute
  // closes only when the test says so.
  let frozen: number | null = null;
  const now = () => frozen ?? Date.now();
  const day = Math.floor(Date.now() / DAY) * DAY - DAY;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    // 50 enrollments in a minute: above the default per-IP enrollment limit.
    server = await startTestServer({
      database: db,
      now,
      config: { enrollRateLimit: { max: 1000, windowMs: 60_000 } },
    });
    projectId = (await createTestProject(server)).projectId;
    const other = (await createTestProject(server)).projectId;
    teamId = (await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/teams`, { name: 'Floor' }))
      .id;
    const client = (
      db.database.db as unknown as { $client: { query: (t: string, p: unknown[]) => Promise<unknown> } }
    ).$client;
    const query = (text: string, params: unknown[]) => client.query(text, params);
    seatIds = [];
    for (let i = 0; i < TEAM; i++) {
      // A seat per enrolled agent, as on a floor; moved into the team.
      const agent = await enrollTestAgent(server, {
        projectId,
        hostname: `team-desk-${String(i).padStart(2, '0')}`,
      });
      const [seat] = await rowsOf<{ seat_id: string }>(
        sql`select seat_id from agents where id = ${agent.agentId}`,
      );
      await db.database.db.execute(sql`update seats set team_id = ${teamId} where id = ${seat!.seat_id}`);
      seatIds.push(seat!.seat_id);
      await seedSeatHistory(query, {
        projectId,
        agentId: agent.agentId,
        seatId: seat!.seat_id,
        firstDay: day,
        days: 1,
      });
    }
    investigator = await createSignedInUser(server, 'inv', [
      { role: 'investigator', projectId, teamId: null },
    ]);
    supervisor = await createSignedInUser(server, 'sup', [{ role: 'supervisor', projectId, teamId: null }]);
    outsider = await createSignedInUser(server, 'inv-other', [
      { role: 'investigator', projectId: other, teamId: null },
    ]);
    root = await createSignedInUser(server, 'root', [
      { role: 'administrator', projectId: null, teamId: null },
    ]);
    frozen = Date.now();
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  async function rowsOf<T>(query: ReturnType<typeof sql>): Promise<T[]> {
    return ((await db.database.db.execute(query)) as unknown as { rows: T[] }).rows;
  }

  async function count(table: string, where = sql`true`): Promise<number> {
    const result = (await db.database.db.execute(
      sql`select count(*)::int as n from ${sql.raw(table)} where ${where}`,
    )) as unknown as { rows: { n: number }[] };
    return Number(result.rows[0]!.n);
  }

  async function auditEntries(query: string): Promise<AuditEntryView[]> {
    const answer = await server.app.inject({
      method: 'GET',
      url: `/api/v1/investigation/audit?${query}`,
      headers: { cookie: root.cookie },
    });
    expect(answer.statusCode).toBe(200);
    return (answer.json() as AuditPage).entries;
  }

  const body = (extra: Record<string, unknown> = {}) => ({
    seatIds,
    from: day,
    to: day + DAY,
    buckets: 720,
    reason: 'Floor review of yesterday',
    ...extra,
  });

  /** The audit log's length, without the entries reading it adds (those come after). */
  const auditLength = () => count('audit_log');

  it('a team of 50 over a day: one request, one access record, one audit entry naming every seat', async () => {
    const before = await auditLength();
    const recordsBefore = await count('access_records');
    const answer = await asUser<TimelineSummary>(server, investigator, 'POST', SUMMARY, body());
    expect(answer.status).toBe(200);
    expect(await auditLength()).toBe(before + 1);
    expect(await count('access_records')).toBe(recordsBefore + 1);
    // The same view again within the minute only counts up.
    expect((await asUser(server, investigator, 'POST', SUMMARY, body())).status).toBe(200);
    expect(await auditLength()).toBe(before + 1);
    // Another set of seats in the same minute is a look of its own.
    expect(
      (await asUser(server, investigator, 'POST', SUMMARY, body({ seatIds: seatIds.slice(0, 10) }))).status,
    ).toBe(200);
    expect(await auditLength()).toBe(before + 2);
    expect(await count('access_records')).toBe(recordsBefore + 2);

    const [ten, team] = await auditEntries(`projectId=${projectId}&action=timeline.summary&limit=10`);
    expect(team).toMatchObject({
      actor: 'user:inv',
      action: 'timeline.summary',
      projectId,
      seatId: null,
      reason: 'Floor review of yesterday',
    });
    expect(team!.details.count).toBe(1);
    const named = team!.details.seats as { id: string; accounts: string[] }[];
    expect(named.map((seat) => seat.id).sort()).toEqual([...seatIds].sort());
    // Whose data each seat's part may show: the seeded hellos' account among them.
    for (const seat of named) expect(seat.accounts).toContain('operator');
    expect((ten!.details.seats as unknown[]).length).toBe(10);
    // The audit log's seat filter finds the look at the seat among the many it named.
    const bySeat = await auditEntries(`seatId=${seatIds[42]}&action=timeline.summary&limit=10`);
    expect(bySeat.map((e) => e.seq)).toEqual([team!.seq]);

    // The minute's flush reports the repeat: two entries for the team's two requests, counts adding up.
    frozen = now() + 2 * MINUTE;
    await server.app.seatwatch.flushAccessRecords();
    const entries = await auditEntries(`projectId=${projectId}&action=timeline.summary&limit=10`);
    expect(entries).toHaveLength(3);
    expect(entries[0]!.details).toMatchObject({ count: 1, from: day, to: day + DAY });
    expect((entries[0]!.details.seats as unknown[]).length).toBe(TEAM);
  }, 180_000);

  it('each cell says what dominated its bucket, as seeded', async () => {
    const answer = await asUser<TimelineSummary>(server, investigator, 'POST', SUMMARY, body());
    const summary = answer.body;
    expect(summary).toMatchObject({ from: day, to: day + DAY, bucketMs: 120_000, buckets: 720 });
    expect(summary.seats).toHaveLength(TEAM);
    const seat = seatIds[7]!;
    const cells = summary.cells.filter((cell) => cell.seatId === seat);
    const at = (time: number) => cells.find((cell) => cell.bucket === Math.floor((time - day) / 120_000));
    // 640 spans of 37 s (5/6 of 45 s, whole seconds) from 08:00: all of that time, cut into buckets.
    expect(cells.reduce((sum, cell) => sum + cell.activeMs, 0)).toBe(640 * 37_000);
    // Screenshots every 5 minutes (96), 4 device events, 2 anomalies: counted where they fall.
    expect(cells.reduce((sum, cell) => sum + cell.screenshots, 0)).toBe(96);
    expect(cells.reduce((sum, cell) => sum + cell.devices, 0)).toBe(4);
    expect(cells.reduce((sum, cell) => sum + cell.anomalies, 0)).toBe(2);
    expect(cells.reduce((sum, cell) => sum + cell.logins, 0)).toBe(3);
    // Before the shift: nothing, so no cell (drawn as offline).
    expect(at(day + 7 * HOUR)).toBeUndefined();
    // 08:00-08:02: CRM 08:00:00-08:00:37, Mail 08:00:45-08:01:22, Softphone from 08:01:30 (30 s of it
    // inside); CRM and Mail tie, the first by name wins.
    expect(at(day + 8 * HOUR)).toMatchObject({
      app: 'CRM',
      appMs: 37_000,
      activeMs: 37_000 * 2 + 30_000,
      spans: 3,
    });
    expect(at(day + 8 * HOUR)!.state).toBe('active');
    // Status every 24 minutes cycling active, idle, locked: 08:30 is idle, 08:50 locked.
    expect(at(day + 8.5 * HOUR)!.state).toBe('idle');
    expect(at(day + 8 * HOUR + 50 * MINUTE)!.state).toBe('locked');
    // After the shift the last state (the 20th, idle) lasts until the range ends; no spans then.
    expect(at(day + 20 * HOUR)).toMatchObject({ state: 'idle', activeMs: 0, app: null, spans: 0 });
    // The 50 seats are alike: as many cells each.
    const perSeat = new Set(seatIds.map((id) => summary.cells.filter((cell) => cell.seatId === id).length));
    expect(perSeat.size).toBe(1);
  }, 180_000);

  it('the detailed timeline of the team is one entry per query too: its pages count up, another range is new', async () => {
    const detail = {
      seatIds,
      from: day + 8 * HOUR,
      to: day + 9 * HOUR,
      reason: 'Floor review, 08:00',
      limit: 1000,
    };
    const before = await auditLength();
    const first = await asUser<Timeline>(
      server,
      investigator,
      'POST',
      '/api/v1/investigation/timeline',
      detail,
    );
    expect(first.status).toBe(200);
    expect(first.body.spans!.next).not.toBeNull();
    expect(await auditLength()).toBe(before + 1);
    // Its next page, in the same minute: counted, no new entry.
    const next = await asUser<Timeline>(server, investigator, 'POST', '/api/v1/investigation/timeline', {
      ...detail,
      sections: ['spans'],
      cursors: { spans: first.body.spans!.next! },
    });
    expect(next.status).toBe(200);
    expect(await auditLength()).toBe(before + 1);
    // The next hour (a pan of the zoomed-in view) is a look of its own.
    const later = { ...detail, from: day + 9 * HOUR, to: day + 10 * HOUR };
    expect((await asUser(server, investigator, 'POST', '/api/v1/investigation/timeline', later)).status).toBe(
      200,
    );
    expect(await auditLength()).toBe(before + 2);
    const [entry] = await auditEntries(`seatId=${seatIds[9]}&action=timeline.read&limit=5`);
    expect(entry).toMatchObject({ action: 'timeline.read', seatId: null, reason: 'Floor review, 08:00' });
    expect(entry!.details).toMatchObject({ from: day + 9 * HOUR, to: day + 10 * HOUR, count: 1 });
    expect((entry!.details.seats as unknown[]).length).toBe(TEAM);
  }, 180_000);

  it('checks role, scope and purpose like the timeline', async () => {
    expect((await asUser(server, null, 'POST', SUMMARY, body())).status).toBe(401);
    expect((await asUser(server, supervisor, 'POST', SUMMARY, body())).status).toBe(403);
    expect((await asUser(server, outsider, 'POST', SUMMARY, body())).status).toBe(403);
    expect((await asUser(server, investigator, 'POST', SUMMARY, body({ reason: undefined }))).status).toBe(
      400,
    );
    expect((await asUser(server, investigator, 'POST', SUMMARY, body({ buckets: 0 }))).status).toBe(400);
    expect((await asUser(server, investigator, 'POST', SUMMARY, body({ to: day }))).status).toBe(400);
    expect(
      (await asUser(server, investigator, 'POST', SUMMARY, body({ seatIds: [...seatIds, 'nope'] }))).status,
    ).toBe(400);
  });

  it("lists the look in the seat's self-view, for the operators whose data it may show", async () => {
    const seatId = seatIds[3]!;
    const looks = (operator: string | null) =>
      operatorLooks(db.database.db, { seatId, projectId, teamId, operator, limit: 50 });
    // The seeded hellos are by 'operator': that operator's self-view lists the look, another's does not.
    expect((await looks('operator')).filter((look) => look.action === 'timeline.summary')).not.toHaveLength(
      0,
    );
    expect((await looks(null)).filter((look) => look.action === 'timeline.summary')).not.toHaveLength(0);
    expect((await looks('somebody')).filter((look) => look.action === 'timeline.summary')).toEqual([]);
  });
});
