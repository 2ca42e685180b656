/**
 * The collector's PostgreSQL connections run without JIT compilation
 * (db/connect.ts): a query over the daily partitions of the telemetry tables
 * (issue #15) compiled the expressions of every partition it planned, which
 * on 60 days of a floor cost several times what the query itself did (the
 * board, a 60-day timeline, a report: docs/benchmarks.md). PGOPTIONS still
 * has the last word, as an administrator would expect.
 *
 * Every query is made eligible for JIT (jit_above_cost 0) in its session, so
 * a plain connection to the same database shows what the pool avoids.
 */
import { createTestDatabase, type TestDatabase } from '@seatwatch/testkit/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';

/** Whether EXPLAIN ANALYZE of a count over the partitioned events table reports JIT compilation. */
async function compiles(client: pg.ClientBase): Promise<boolean> {
  await client.query('set jit_above_cost = 0');
  const { rows } = await client.query<{ 'QUERY PLAN': Array<Record<string, unknown>> }>(
    'explain (analyze, format json) select count(*) from events',
  );
  return 'JIT' in rows[0]!['QUERY PLAN'][0]!;
}

describe("the collector's PostgreSQL connections", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('plan queries over the daily partitions without JIT, where a plain connection compiles them', async () => {
    const plain = new pg.Client({ connectionString: db.url! });
    await plain.connect();
    const database = await openDatabase({ databaseUrl: db.url! });
    const pooled = await database.pool!.connect();
    try {
      const [{ available }] = (
        await plain.query<{ available: boolean }>('select pg_jit_available() as available')
      ).rows as [{ available: boolean }];
      expect(available, 'this PostgreSQL has no JIT provider to compare with').toBe(true);
      expect({ plain: await compiles(plain), pooled: await compiles(pooled) }).toEqual({
        plain: true,
        pooled: false,
      });
    } finally {
      pooled.release();
      await database.close();
      await plain.end();
    }
  });

  it('leave PGOPTIONS the last word', async () => {
    const before = process.env.PGOPTIONS;
    process.env.PGOPTIONS = '-c jit=on';
    const database = await openDatabase({ databaseUrl: db.url! });
    try {
      const { rows } = await database.pool!.query<{ jit: string }>("select current_setting('jit') as jit");
      expect(rows[0]!.jit).toBe('on');
    } finally {
      if (before === undefined) delete process.env.PGOPTIONS;
      else process.env.PGOPTIONS = before;
      await database.close();
    }
  });
});
