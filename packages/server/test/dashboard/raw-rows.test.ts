/**
 * Hand-written queries (the board's tiles, the timeline's pages) decode
 * their rows through the schema's columns: the same types on PGlite and on
 * PostgreSQL, although the two drivers hand raw timestamps and bigints over
 * differently.
 */

import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nullable, rowsOf } from '../../src/db/raw-rows.js';
import { screenshots, seats } from '../../src/db/schema/index.js';

describe.each(DB_KINDS)('rows of raw SQL on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(() => db?.close());

  it('come out as the schema types them: Date, number, null and computed values', async () => {
    const rows = await rowsOf(
      db.database.db,
      sql`select 12345678901::bigint as id, '2026-01-02T03:04:05.678Z'::timestamptz as time,
                 null::timestamptz as shot_time, null::text as name, 'kept' as seat,
                 (select count(*) from (values (1), (2)) v) as n, (1 = 1) as flag`,
      {
        id: screenshots.id,
        time: screenshots.time,
        shot_time: nullable(screenshots.time),
        name: nullable(seats.name),
        seat: seats.name,
        n: Number,
        flag: Boolean,
      },
    );
    expect(rows).toEqual([
      {
        id: 12345678901,
        time: new Date('2026-01-02T03:04:05.678Z'),
        shot_time: null,
        name: null,
        seat: 'kept',
        n: 2,
        flag: true,
      },
    ]);
    expect(rows[0]!.time).toBeInstanceOf(Date);
  });
});
