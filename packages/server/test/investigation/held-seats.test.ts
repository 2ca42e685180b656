/**
 * The set of held seats the gateway asks on every frame (cases/held-seats.ts),
 * on PGlite and PostgreSQL, as two processes would keep it (each its own
 * notification port; on PostgreSQL each its own LISTEN connection): the
 * process that changed a hold knows at once, the other once the
 * notification arrives, and both forget a released hold. A seat counts as
 * held when it is held itself or an item of a held case names it.
 */
import { until } from '@seatwatch/testkit';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHeldSeatsCache, type HeldSeatsCache } from '../../src/cases/held-seats.js';
import type { NotificationPort } from '../../src/notifications/notification-port.js';
import { createProject, createSeat } from '../../src/tenancy/tenancy.repository.js';

describe.each(DB_KINDS)('held seats on %s', (kind) => {
  let db: TestDatabase;
  const ports: NotificationPort[] = [];
  let here: HeldSeatsCache;
  let there: HeldSeatsCache;
  let seats: string[];
  let projectId: string;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    projectId = (await createProject(db.database.db, { name: 'Held seats' })).id;
    seats = [];
    for (const name of ['desk-1', 'desk-2', 'desk-3']) {
      seats.push((await createSeat(db.database.db, { projectId, siteId: null, teamId: null, name })).id);
    }
    const cache = async () => {
      const notifications = await db.openNotifications();
      ports.push(notifications);
      return createHeldSeatsCache({ db: db.database.db, notifications, logger });
    };
    here = await cache();
    there = await cache();
  });

  afterAll(async () => {
    here?.close();
    there?.close();
    for (const port of ports) await port.close();
    await db?.close();
  });

  it('knows a seat held as a whole here at once, and there once told', async () => {
    expect(here.has(seats[0]!)).toBe(false);
    await db.database.db.execute(sql`update seats set legal_hold = true where id = ${seats[0]!}`);
    await here.changed();
    expect(here.has(seats[0]!)).toBe(true);
    await until('the other process to hear of the hold', () => there.has(seats[0]!), 10_000, 20);
    expect(there.has(seats[1]!)).toBe(false);
  });

  it('counts the seats a held case names, and forgets them when the hold goes', async () => {
    const caseId = 'case-held-seats';
    await db.database.db.execute(
      sql`insert into cases (id, project_id, title, created_by, legal_hold) values (${caseId}, ${projectId}, 'x', 'test', true)`,
    );
    await db.database.db.execute(
      sql`insert into case_items (id, case_id, project_id, kind, seat_id, range_from, range_to, added_by)
          values ('item-1', ${caseId}, ${projectId}, 'time_range', ${seats[1]!}, now() - interval '1 hour', now(), 'test')`,
    );
    await here.changed();
    expect([here.has(seats[1]!), here.has(seats[2]!)]).toEqual([true, false]);
    await until('the other process to hear of the case', () => there.has(seats[1]!), 10_000, 20);

    await db.database.db.execute(sql`update cases set legal_hold = false where id = ${caseId}`);
    await db.database.db.execute(sql`update seats set legal_hold = false where id = ${seats[0]!}`);
    await here.changed();
    expect([here.has(seats[0]!), here.has(seats[1]!)]).toEqual([false, false]);
    await until(
      'the other process to hear of the release',
      () => !there.has(seats[1]!) && !there.has(seats[0]!),
      10_000,
      20,
    );
  });
});
