/**
 * The telemetry tables partitioned by day (issue #15, migration 0015), on
 * PGlite and on PostgreSQL: no insert fails for want of a partition (rows
 * of days without one wait in the DEFAULT partition and move into the day's
 * partition when it is made); retention drops a day that is past every
 * project's retention as a whole, keeping its held rows (a held seat, a
 * row's own hold, a held case's time range) and the spans still running
 * past the cutoff; a project whose retention is shorter than another's
 * loses its rows of a kept day row by row; the audit entry says what went.
 */
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  startTestServer,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPage } from '../../src/audit/audit-log.js';
import { queryRows } from '../../src/db/connect.js';
import { utcDay } from '../../src/partitions/partition-maintenance.js';
import { createPartitions } from '../../src/partitions/partitions.repository.js';
import { runRetention } from '../../src/retention/retention-job.js';

const DAY = 86_400_000;
const dayName = (ms: number) => utcDay(ms).replaceAll('-', '');

describe.each(DB_KINDS)('daily telemetry partitions on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db, config: { retention: { intervalMs: 0, batchSize: 2 } } });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const query = <T>(text: ReturnType<typeof sql>) => queryRows<T>(db.database.db, text);
  const at = (ms: number) => new Date(ms).toISOString();

  async function seat(projectId: string, hostname: string) {
    const agent = await enrollTestAgent(server, { projectId, hostname });
    const [row] = await query<{ seat_id: string }>(
      sql`select seat_id from agents where id = ${agent.agentId}`,
    );
    return { projectId, agentId: agent.agentId, seatId: row!.seat_id };
  }
  type Seat = Awaited<ReturnType<typeof seat>>;

  async function event(s: Seat, seq: number, idx: number, time: number, held = false) {
    const [row] = await query<{ id: string }>(sql`
      insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at, legal_hold)
      values (${s.projectId}, ${s.agentId}, ${s.seatId}, ${seq}, ${idx}, 'status', ${at(time)}::timestamptz,
              '{"state":"active"}'::jsonb, now(), ${held})
      returning id`);
    return Number(row!.id);
  }

  /** Where each of these event ids lives now (its partition), or absent when gone. */
  async function eventHomes(ids: number[]) {
    const rows = await query<{ id: string; home: string }>(
      sql`select id, tableoid::regclass::text as home from events
          where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::bigint)`,
    );
    return Object.fromEntries(rows.map((row) => [Number(row.id), row.home]));
  }

  const exists = async (table: string) =>
    (await query<{ present: boolean }>(sql`select to_regclass(${table}) is not null as present`))[0]!.present;

  it("makes the coming days' partitions, and keeps rows of days without one in the DEFAULT partition until it is made", async () => {
    const now = Date.now();
    for (const table of ['events', 'activity_spans', 'device_events', 'screenshots']) {
      for (const offset of [-1, 0, 7])
        expect(await exists(`${table}_p${dayName(now + offset * DAY)}`)).toBe(true);
      expect(await exists(`${table}_default`)).toBe(true);
    }

    const { projectId } = await createTestProject(server, { retentionDays: 60 });
    const s = await seat(projectId, 'clock-off');
    // An agent's clock may be off by years either way: nothing is refused.
    const past = Date.parse('1990-03-01T12:00:00Z');
    const ahead = Date.parse('2100-06-01T08:00:00Z');
    const ids = [await event(s, 1, 0, past), await event(s, 1, 1, ahead), await event(s, 1, 2, now)];
    expect(await eventHomes(ids)).toEqual({
      [ids[0]!]: 'events_default',
      [ids[1]!]: 'events_default',
      [ids[2]!]: `events_p${dayName(now)}`,
    });

    // The day's partition, once made, takes its rows out of the DEFAULT partition.
    expect(await createPartitions(db.database.db, '2100-06-01', '2100-06-01')).toBe(4);
    expect(await eventHomes(ids)).toMatchObject({ [ids[1]!]: 'events_p21000601' });
    expect(await createPartitions(db.database.db, '2100-06-01', '2100-06-01')).toBe(0);

    // A resent row (same agent, seq, idx and time) still conflicts.
    const resent = await query<{ id: string }>(sql`
      insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
      values (${projectId}, ${s.agentId}, ${s.seatId}, 1, 1, 'status', ${at(ahead)}::timestamptz, '{}'::jsonb, now())
      on conflict (agent_id, seq, idx, time) do nothing returning id`);
    expect(resent).toEqual([]);
  });

  it("drops a day past every project's retention whole, keeping held rows and spans that run past the cutoff", async () => {
    const now = Date.now();
    const old = Date.parse(`${utcDay(now - 70 * DAY)}T10:00:00Z`);
    const day = dayName(old);
    expect(await createPartitions(db.database.db, utcDay(old), utcDay(old))).toBe(4);

    const { projectId } = await createTestProject(server, { retentionDays: 60 });
    const plain = await seat(projectId, 'plain-seat');
    const heldSeat = await seat(projectId, 'held-seat');
    await server.adminOk('PUT', `/projects/${projectId}/seats/${heldSeat.seatId}/legal-hold`, {
      hold: true,
      reason: 'complaint 5120',
    });
    const gone = await event(plain, 1, 0, old);
    const flagged = await event(plain, 1, 1, old + 1000, true);
    const inHeldRange = await event(plain, 1, 2, old + 2000);
    const ofHeldSeat = await event(heldSeat, 1, 0, old);
    const recent = await event(plain, 2, 0, now);
    const [heldCase] = await query<{ id: string }>(sql`
      insert into cases (id, project_id, title, created_by, legal_hold)
      values (gen_random_uuid()::text, ${projectId}, 'complaint 5121', 'test', true) returning id`);
    await db.database.db.execute(sql`
      insert into case_items (id, case_id, project_id, kind, seat_id, range_from, range_to, added_by)
      values (gen_random_uuid()::text, ${heldCase!.id}, ${projectId}, 'time_range', ${plain.seatId},
              ${at(old + 1500)}::timestamptz, ${at(old + 2500)}::timestamptz, 'test')`);

    await db.database.db.execute(sql`
      insert into activity_spans (project_id, agent_id, seat_id, started_at, ended_at, app, title, seq) values
        (${projectId}, ${plain.agentId}, ${plain.seatId}, ${at(old - 3600_000)}::timestamptz,
         ${at(old - 3540_000)}::timestamptz, 'crm', 'ticket', 1),
        (${projectId}, ${plain.agentId}, ${plain.seatId}, ${at(old + 3600_000)}::timestamptz,
         ${at(now - DAY)}::timestamptz, 'crm', 'still open', 1)`);
    await db.database.db.execute(sql`
      insert into device_events (project_id, agent_id, seat_id, seq, idx, time, action, device_id, name, mass_storage)
      values (${projectId}, ${plain.agentId}, ${plain.seatId}, 1, 3, ${at(old)}::timestamptz, 'attached', 'usb-1',
              'Stick', true)`);
    const image = await testJpeg(40, 30);
    const sha256 = sha256Hex(image);
    await server.blobs.put(sha256, image);
    await db.database.db.execute(sql`
      insert into screenshots (project_id, agent_id, seat_id, seq, time, sha256, size, mime, width, height, monitor,
                               trigger, received_at)
      values (${projectId}, ${plain.agentId}, ${plain.seatId}, 3, ${at(old)}::timestamptz, ${sha256},
              ${image.length}, 'image/jpeg', 40, 30, 0, 'interval', now())`);

    const report = await runRetention({
      database: db.database,
      blobs: server.blobs,
      now: Date.now,
      batchSize: 2,
      logger: server.app.log,
    });

    const tables = ['events', 'activity_spans', 'device_events', 'screenshots'];
    expect(report.partitions).toEqual(expect.arrayContaining(tables.map((t) => `${t}_p${day}`)));
    for (const table of tables) expect(await exists(`${table}_p${day}`)).toBe(false);
    const deleted = { events: 1, activity_spans: 1, device_events: 1, screenshots: 1 };
    expect(report.projects.find((p) => p.projectId === projectId)).toMatchObject({ rows: deleted, blobs: 1 });
    expect(await server.blobs.has(sha256)).toBe(false);

    expect(await eventHomes([gone, flagged, inHeldRange, ofHeldSeat, recent])).toEqual({
      [flagged]: 'events_default',
      [inHeldRange]: 'events_default',
      [ofHeldSeat]: 'events_default',
      [recent]: `events_p${dayName(now)}`,
    });
    const spans = await query<{ title: string; home: string }>(
      sql`select title, tableoid::regclass::text as home from activity_spans where agent_id = ${plain.agentId}`,
    );
    expect(spans).toEqual([{ title: 'still open', home: 'activity_spans_default' }]);

    const [run] = (await auditPage(db.database.db, { projectIds: null, action: 'retention.run', limit: 1 }))
      .entries;
    expect(run!.details).toMatchObject({
      partitions: expect.arrayContaining([`events_p${day}`]),
      projects: { [projectId]: { retentionDays: 60, rows: deleted, blobs: 1 } },
    });
    const [inProject] = (
      await auditPage(db.database.db, { projectIds: [projectId], action: 'retention.delete', limit: 1 })
    ).entries;
    expect(inProject!.details).toMatchObject({ rows: deleted, blobs: 1 });

    // A second run finds nothing more: the held rows stay held in the DEFAULT partition.
    const again = await runRetention({
      database: db.database,
      blobs: server.blobs,
      now: Date.now,
      batchSize: 2,
      logger: server.app.log,
    });
    expect(again.rows).toMatchObject({ events: 0, activity_spans: 0, device_events: 0, screenshots: 0 });
    expect(again.partitions).toEqual([]);
  });

  it("deletes row by row what a shorter retention ends inside a day another project's retention keeps", async () => {
    const now = Date.now();
    const old = Date.parse(`${utcDay(now - 75 * DAY)}T09:00:00Z`);
    expect(await createPartitions(db.database.db, utcDay(old), utcDay(old))).toBe(4);
    const short = await seat((await createTestProject(server, { retentionDays: 60 })).projectId, 'short');
    const long = await seat((await createTestProject(server, { retentionDays: 90 })).projectId, 'long');
    const shortIds = [
      await event(short, 1, 0, old),
      await event(short, 1, 1, old + 1),
      await event(short, 1, 2, old + 2),
    ];
    const longId = await event(long, 1, 0, old);

    const report = await runRetention({
      database: db.database,
      blobs: server.blobs,
      now: Date.now,
      batchSize: 2,
      logger: server.app.log,
    });
    expect(report.partitions).toEqual([]);
    expect(await exists(`events_p${dayName(old)}`)).toBe(true);
    expect(await eventHomes([...shortIds, longId])).toEqual({ [longId]: `events_p${dayName(old)}` });
    expect(report.projects.find((p) => p.projectId === short.projectId)?.rows.events).toBe(3);
    expect(report.projects.find((p) => p.projectId === long.projectId)).toBeUndefined();
  });
});
