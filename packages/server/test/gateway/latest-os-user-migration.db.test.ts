/**
 * Migration 0023 on a database with telemetry, on PGlite and PostgreSQL:
 * each agent row gets the OS account of its latest stored event (the one a
 * hello read from events before, now kept on the row by the ingest
 * statement), and null when it has none.
 */
import { DB_KINDS } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/connect.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { migrateUpTo, openEmptyDatabase } from '../db/partial-migrations.js';

describe.each(DB_KINDS)('migration 0023 on a %s database with data', (kind) => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('gives each agent row the account of its latest stored event, by seq then idx', async () => {
    const { database, close } = await openEmptyDatabase(kind);
    cleanups.push(close);
    const { db } = database;
    await migrateUpTo(database, 22);

    await db.execute(sql`insert into projects (id, name) values ('p1', 'floor')`);
    await db.execute(sql`insert into seats (id, project_id, name) values ('s1', 'p1', 'desk-1')`);
    for (const id of ['a1', 'a2']) {
      await db.execute(sql`insert into agents (id, project_id, seat_id, public_key, hostname, os, os_user, agent_version,
                                               enrolled_ip)
                           values (${id}, 'p1', 's1', ${`key-${id}`}, 'desk-1', 'linux', 'root', '1.0.0', '127.0.0.1')`);
    }
    // a1: the latest frame (seq 3) switches account in its middle; an older frame comes later in time.
    const rows: Array<[number, number, string, number]> = [
      [1, 0, 'op', 1000],
      [3, 0, 'op', 3000],
      [3, 1, 'clara', 3001],
      [2, 0, 'bob', 9000],
    ];
    for (const [seq, idx, osUser, ms] of rows) {
      const at = new Date(Date.now() - 86_400_000 + ms).toISOString();
      await db.execute(sql`insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at,
                                               os_user)
                           values ('p1', 'a1', 's1', ${seq}, ${idx}, 'status', ${at}::timestamptz, '{}'::jsonb, now(),
                                   ${osUser})`);
    }

    await migrateDatabase(database);

    expect(
      await queryRows<{ id: string; latest_os_user: string | null }>(
        db,
        sql`select id, latest_os_user from agents order by id`,
      ),
    ).toEqual([
      { id: 'a1', latest_os_user: 'clara' },
      { id: 'a2', latest_os_user: null },
    ]);
  });
});
