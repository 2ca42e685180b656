/**
 * How long a write of today waits while a day's partition is dropped
 * (issue #15, migration 0024), on the database the sixty-days bench kept
 * (BENCH_KEEP_DB=1): one writer inserts today's events into `events`, one
 * at a time, while `seatwatch_drop_partition` drops the oldest day of
 * `events` (1.3 million rows at 1,000 seats). Reports the drop's time and
 * the writes' latencies during it.
 *
 * BENCH_DROP_FUNCTION=0015 drops with the function of migration 0015 (which
 * locked the whole table against writes while it read the day) and puts
 * the current one (0024) back afterwards; the default is the current one.
 * Each run drops a day for good.
 *
 * Run: BENCH_DATABASE_URL=<the kept URL> pnpm --filter @seatwatch/bench sixty-days-drop-lock
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER } from '@seatwatch/server';
import pg from 'pg';
import { round, timingStats } from '../timings/percentiles.js';

/** The CREATE of seatwatch_drop_partition in a migration, as CREATE OR REPLACE. */
function dropFunction(migration: string): string {
  const text = readFileSync(join(MIGRATIONS_FOLDER, migration), 'utf8');
  const start = text.search(/CREATE (OR REPLACE )?FUNCTION "seatwatch_drop_partition"/);
  const end = text.indexOf('\n$$;', start);
  if (start < 0 || end < 0) throw new Error(`no seatwatch_drop_partition in ${migration}`);
  return text.slice(start, end + 4).replace(/^CREATE FUNCTION/, 'CREATE OR REPLACE FUNCTION');
}

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL must name the database the sixty-days bench kept');
  const which = process.env.BENCH_DROP_FUNCTION ?? '0024';
  if (which !== '0015' && which !== '0024') throw new Error('BENCH_DROP_FUNCTION is 0015 or 0024');
  let writing = false;
  const admin = new pg.Client({ connectionString: url });
  const writer = new pg.Client({ connectionString: url });
  await Promise.all([admin.connect(), writer.connect()]);
  try {
    const [oldest] = (
      await admin.query<{ name: string; upper: string }>(
        `select c.relname::text as name,
                (regexp_match(pg_get_expr(c.relpartbound, c.oid), $r$TO \\('([^']+)'\\)$r$))[1] as upper
         from pg_inherits i join pg_class c on c.oid = i.inhrelid
         where i.inhparent = 'events'::regclass and c.relname ~ '^events_p[0-9]{8}$'
         order by c.relname limit 1`,
      )
    ).rows;
    if (!oldest) throw new Error('no daily partition of events');
    const partitionRows = Number(
      (await admin.query<{ n: string }>(`select count(*)::bigint as n from ${oldest.name}`)).rows[0]!.n,
    );
    const [agent] = (
      await admin.query<{ id: string; project_id: string; seat_id: string }>(
        'select id, project_id, seat_id from agents order by id limit 1',
      )
    ).rows;
    if (which === '0015') await admin.query(dropFunction('0015_telemetry_partitions.sql'));

    writing = true;
    const latencies: number[] = [];
    let seq = 2_000_000_000 + Math.floor(Math.random() * 100_000_000);
    const writes = (async () => {
      while (writing) {
        const started = performance.now();
        await writer.query(
          `insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
           values ($1, $2, $3, $4, 0, 'status', now(), '{"state":"active"}'::jsonb, now())`,
          [agent!.project_id, agent!.id, agent!.seat_id, seq++],
        );
        latencies.push(performance.now() - started);
      }
    })();
    // The writer's pace before the drop, then the drop.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const before = latencies.length;
    const started = performance.now();
    await admin.query('select * from seatwatch_drop_partition($1, $2::timestamptz)', [
      oldest.name,
      oldest.upper,
    ]);
    const dropMs = performance.now() - started;
    const during = latencies.slice(before);
    writing = false;
    await writes;
    process.stdout.write(
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          function: which,
          partition: oldest.name,
          rows: partitionRows,
          dropMs: round(dropMs),
          writesBefore: timingStats(latencies.slice(0, before)),
          writesDuringDrop: timingStats(during),
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    writing = false;
    // 0024's function back, also when the drop failed.
    if (which === '0015') await admin.query(dropFunction('0024_partition_drop_lock.sql'));
    await Promise.all([admin.end(), writer.end()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
