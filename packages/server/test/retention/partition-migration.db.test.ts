/**
 * Migration 0015 on a database that already holds telemetry (issue #15), on
 * PGlite and on PostgreSQL: migrated up to 0014 and filled, then brought up
 * to date. Every row is kept with its id, in its day's partition (or the
 * DEFAULT one when older than the 120 days made), the ids go on from where
 * they were, each key includes the partition key, the indexes the tables
 * had are there again (those later migrations keep), and the foreign keys
 * to agents are gone (0022).
 */
import { DB_KINDS } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/connect.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { utcDay } from '../../src/partitions/partition-maintenance.js';
import { migrateUpTo, openEmptyDatabase } from '../db/partial-migrations.js';

const DAY = 86_400_000;

describe.each(DB_KINDS)('migration 0015 on a %s database with data', (kind) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('partitions the telemetry tables in place, keeping rows, ids, keys and indexes', async () => {
    const { database, close } = await openEmptyDatabase(kind);
    cleanups.push(close);
    const { db } = database;
    // 0014: the last migration before partitions.
    await migrateUpTo(database, 14);

    await db.execute(sql`insert into projects (id, name) values ('p1', 'floor')`);
    await db.execute(sql`insert into seats (id, project_id, name) values ('s1', 'p1', 'desk-1')`);
    await db.execute(sql`insert into agents (id, project_id, seat_id, public_key, hostname, os, os_user, agent_version,
                                             enrolled_ip)
                         values ('a1', 'p1', 's1', 'key', 'desk-1', 'linux', 'op', '1.0.0', '127.0.0.1')`);
    const now = Date.now();
    const times = [now - 1000 * DAY, now - 30 * DAY, now - DAY, now];
    for (const [i, time] of times.entries()) {
      const at = new Date(time).toISOString();
      await db.execute(sql`insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
                           values ('p1', 'a1', 's1', ${i + 1}, 0, 'status', ${at}::timestamptz, '{}'::jsonb, now())`);
      await db.execute(sql`insert into activity_spans (project_id, agent_id, seat_id, started_at, ended_at, app, title, seq)
                           values ('p1', 'a1', 's1', ${at}::timestamptz, ${at}::timestamptz, 'crm', 't', ${i + 1})`);
      await db.execute(sql`insert into device_events (project_id, agent_id, seat_id, seq, idx, time, action, device_id,
                                                      name, mass_storage)
                           values ('p1', 'a1', 's1', ${i + 1}, 1, ${at}::timestamptz, 'attached', 'usb', 'Stick', true)`);
      await db.execute(sql`insert into screenshots (project_id, agent_id, seat_id, seq, time, sha256, size, mime, width,
                                                    height, monitor, trigger, received_at)
                           values ('p1', 'a1', 's1', ${i + 1}, ${at}::timestamptz, ${`sha-${i}`}, 1, 'image/jpeg', 1, 1,
                                   0, 'interval', now())`);
    }
    const idsBefore = await queryRows<{ id: string; seq: string }>(
      db,
      sql`select id, seq from events order by seq`,
    );

    await migrateDatabase(database);

    const rows = await queryRows<{ id: string; seq: string; home: string }>(
      db,
      sql`select id, seq, tableoid::regclass::text as home from events order by seq`,
    );
    expect(rows.map(({ id, seq }) => ({ id, seq }))).toEqual(idsBefore);
    expect(rows.map((row) => row.home)).toEqual([
      'events_default',
      ...times.slice(1).map((time) => `events_p${utcDay(time).replaceAll('-', '')}`),
    ]);
    for (const table of ['activity_spans', 'device_events', 'screenshots']) {
      const [count] = await queryRows<{ n: number }>(db, sql.raw(`select count(*)::int as n from ${table}`));
      expect(count!.n).toBe(times.length);
    }

    const [next] = await queryRows<{ id: string }>(
      db,
      sql`insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
          values ('p1', 'a1', 's1', 9, 0, 'status', now(), '{}'::jsonb, now()) returning id`,
    );
    expect(Number(next!.id)).toBeGreaterThan(Math.max(...idsBefore.map((row) => Number(row.id))));

    const keys = await queryRows<{ name: string; def: string }>(
      db,
      sql`select conname::text as name, pg_get_constraintdef(oid) as def from pg_constraint
          where conrelid in ('events'::regclass, 'activity_spans'::regclass, 'device_events'::regclass,
                             'screenshots'::regclass) and contype in ('p', 'u')
          order by 1`,
    );
    expect(keys).toEqual([
      {
        name: 'activity_spans_agent_start_uq',
        def: 'UNIQUE NULLS NOT DISTINCT (agent_id, started_at, os_user)',
      },
      { name: 'activity_spans_pkey', def: 'PRIMARY KEY (id, started_at)' },
      { name: 'device_events_agent_seq_idx_uq', def: 'UNIQUE (agent_id, seq, idx, "time")' },
      { name: 'device_events_pkey', def: 'PRIMARY KEY (id, "time")' },
      { name: 'events_agent_seq_idx_uq', def: 'UNIQUE (agent_id, seq, idx, "time")' },
      { name: 'events_pkey', def: 'PRIMARY KEY (id, "time")' },
      { name: 'screenshots_agent_seq_uq', def: 'UNIQUE (agent_id, seq, "time")' },
      { name: 'screenshots_pkey', def: 'PRIMARY KEY (id, "time")' },
    ]);
    const indexes = await queryRows<{ name: string }>(
      db,
      sql`select c.relname::text as name from pg_index x join pg_class c on c.oid = x.indexrelid
          where x.indrelid = 'events'::regclass order by 1`,
    );
    expect(indexes.map((row) => row.name)).toEqual(
      expect.arrayContaining([
        'events_project_time_idx',
        'events_seat_status_time_idx',
        'events_seat_time_idx',
      ]),
    );
    expect(await queryRows(db, sql`select to_regclass('events_unpartitioned') as old`)).toEqual([
      { old: null },
    ]);

    // The foreign keys to agents that 0015 carried over are gone since 0022 (issue #15): offboarding, which
    // alone deletes agents, deletes their rows itself, and ingest stores none for an agent that is gone.
    const foreignKeys = await queryRows<{ name: string }>(
      db,
      sql`select conname::text as name from pg_constraint
          where contype = 'f' and conrelid in ('events'::regclass, 'activity_spans'::regclass,
                                               'device_events'::regclass, 'screenshots'::regclass)`,
    );
    expect(foreignKeys).toEqual([]);
  }, 240_000);
});
