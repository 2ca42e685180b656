// PostgreSQL only: PGlite has no roles (its single user owns everything, as partitions.db.test.ts runs it).
/**
 * The daily partitions under two database roles (issue #15): the server's
 * application role owns no table, so it may neither create nor drop one,
 * yet it makes the coming days' partitions and retention drops expired ones
 * through the migration's SECURITY DEFINER functions, which do only that:
 * they refuse a table that is not a telemetry partition and a day not yet
 * past the cutoff, and keep held rows whoever calls them.
 */
import { randomBytes } from 'node:crypto';
import { createPostgresDatabase, POSTGRES_ADMIN_URL } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../src/config.js';
import { databaseRolesScript } from '../../src/db/audit-protection.js';
import { type Database, openDatabase, queryRows } from '../../src/db/connect.js';
import { utcDay } from '../../src/partitions/partition-maintenance.js';
import { createPartitions, dropPartition } from '../../src/partitions/partitions.repository.js';
import { runRetention } from '../../src/retention/retention-job.js';
import { withDatabase } from '../../src/startup/startup.js';

const DAY = 86_400_000;

async function asRole(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

const urlAs = (url: string, role: string) => {
  const next = new URL(url);
  next.username = role;
  return next.toString();
};

/** The database's own message of a refused statement (drizzle wraps it as the cause). */
async function refusal(query: Promise<unknown>): Promise<string> {
  try {
    await query;
  } catch (error) {
    return String((error as { cause?: Error }).cause?.message ?? (error as Error).message);
  }
  return 'not refused';
}

describe('daily partitions as the application role on PostgreSQL', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `seatwatch_owner_${suffix}`;
  const app = `seatwatch_app_${suffix}`;
  let database: { url: string; drop: () => Promise<void> };
  let asApp: Database;

  beforeAll(async () => {
    database = await createPostgresDatabase();
    const name = new URL(database.url).pathname.slice(1);
    await asRole(database.url, databaseRolesScript({ owner, app, database: name }));
    await withDatabase(
      configWith({ databaseUrl: urlAs(database.url, owner), databaseAppRole: app }),
      async () => {},
    );
    asApp = await openDatabase({ databaseUrl: urlAs(database.url, app), poolSize: 2 });
  }, 120_000);

  afterAll(async () => {
    await asApp?.close();
    await database?.drop();
    await asRole(POSTGRES_ADMIN_URL, [`drop role if exists ${app}`, `drop role if exists ${owner}`]);
  });

  it('makes and drops partitions only through the functions, which refuse anything else', async () => {
    const { db } = asApp;
    const old = Date.parse(`${utcDay(Date.now() - 70 * DAY)}T12:00:00Z`);
    const day = utcDay(old).replaceAll('-', '');
    expect(await createPartitions(db, utcDay(old), utcDay(old))).toBe(4);
    const [made] = await queryRows<{ owner: string }>(
      db,
      sql`select pg_get_userbyid(relowner)::text as owner from pg_class where relname = ${`events_p${day}`}`,
    );
    expect(made!.owner).toBe(owner);

    // What the application role may not do itself.
    expect(await refusal(db.execute(sql.raw(`drop table events_p${day}`)))).toMatch(/must be owner/);
    expect(
      await refusal(
        db.execute(
          sql.raw(`create table events_p20991231 partition of events
      for values from ('2099-12-31 00:00:00+00') to ('2100-01-01 00:00:00+00')`),
        ),
      ),
    ).toMatch(/permission denied/);
    // Nor through the drop function: only telemetry partitions, only days past the cutoff given.
    expect(await refusal(dropPartition(db, 'audit_log', new Date()))).toMatch(
      /not a partition of a telemetry table/,
    );
    expect(await refusal(dropPartition(db, 'events_default', new Date()))).toMatch(/does not end by/);
    expect(await refusal(dropPartition(db, `events_p${day}`, new Date(old)))).toMatch(/does not end by/);

    // A project, a seat and rows of that day, made as the server makes them (as the application role).
    const [project] = await queryRows<{ id: string }>(
      db,
      sql`insert into projects (id, name) values (gen_random_uuid()::text, 'roles') returning id`,
    );
    const projectId = project!.id;
    await db.execute(sql`insert into policies (id, project_id, settings, notice_text)
      values (gen_random_uuid()::text, ${projectId}, '{"retentionDays": 60}'::jsonb, 'notice')`);
    const [seat] = await queryRows<{ id: string }>(
      db,
      sql`insert into seats (id, project_id, name) values (gen_random_uuid()::text, ${projectId}, 'desk-1') returning id`,
    );
    const [agent] = await queryRows<{ id: string }>(
      db,
      sql`insert into agents (id, project_id, seat_id, public_key, hostname, os, os_user, agent_version, enrolled_ip)
          values (gen_random_uuid()::text, ${projectId}, ${seat!.id}, 'key', 'desk-1', 'linux', 'op', '1.0.0',
                  '127.0.0.1') returning id`,
    );
    const insert = (idx: number, held: boolean) =>
      db.execute(sql`insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at, legal_hold)
        values (${projectId}, ${agent!.id}, ${seat!.id}, 1, ${idx}, 'status', ${new Date(old + idx).toISOString()}::timestamptz,
                '{}'::jsonb, now(), ${held})`);
    await insert(0, false);
    await insert(1, true);

    const report = await runRetention({
      database: asApp,
      // No screenshot rows: no bytes are asked for.
      blobs: { put: async () => {}, get: async () => null, has: async () => false, delete: async () => {} },
      now: Date.now,
      batchSize: 100,
      logger: pino({ level: 'silent' }),
    });
    expect(report.partitions).toContain(`events_p${day}`);
    expect(report.projects).toMatchObject([{ projectId, rows: { events: 1 } }]);
    const left = await queryRows<{ idx: number; home: string }>(
      db,
      sql`select idx, tableoid::regclass::text as home from events where project_id = ${projectId}`,
    );
    expect(left).toEqual([{ idx: 1, home: 'events_default' }]);
  });
});
