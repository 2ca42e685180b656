/**
 * 60 days of a large floor (issue #15): a PostgreSQL database holding 60
 * days of BENCH_SEATS seats (default 1,000) at the default policy, generated
 * in SQL at the timeline bench's rates for an 8-hour shift (per seat a day:
 * 640 activity spans and their 1,280 activity events, 20 status events,
 * 96 screenshot rows (bytes are not made: they live in the blob store),
 * 4 device events, 3 logins), plus the two days before them, which the
 * default retention (60 days) has just passed.
 *
 * Measured on that database, in one run:
 *   - one expired day deleted row by row, as the retention job did before
 *     partitions (its SQL, batches of 5,000), against one retention run that
 *     drops the next expired day's partitions (the same rows a day);
 *   - the timeline (one seat: a day, a week, 60 days) and the live board
 *     (GET /api/v1/board, every seat) p50/p95 over HTTP;
 *   - the database size per seat per day (telemetry tables with indexes;
 *     screenshot bytes are extra, in the blob store).
 *
 * Run: pnpm --filter @seatwatch/bench sixty-days   (JSON in bench/results/sixty-days-*.json)
 * BENCH_ROW_BY_ROW=0 leaves out the row-by-row delete (a measurement of
 * the job before partitions, not of today's code).
 * BENCH_KEEP_DB=1 keeps the database and prints its URL, so bench/load (or a
 * server: SEATWATCH_DATABASE_URL) can start on it; drop it afterwards.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, createTestProject, startTestServer } from '@seatwatch/testkit/server';
import { round } from '../timings/percentiles.js';
import { timeViews } from './view-timings.js';

const SEATS = Number(process.env.BENCH_SEATS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const KEEP = process.env.BENCH_KEEP_DB === '1';
/** BENCH_ROW_BY_ROW=0 skips the old row-by-row delete of a day (about half an hour at 1,000 seats). */
const ROW_BY_ROW = process.env.BENCH_ROW_BY_ROW !== '0';
const DAYS = 60;
/** Days generated before the 60 kept ones: one deleted row by row, one dropped. */
const EXPIRED_DAYS = 2;
const DAY = 86_400_000;
const BATCH = 5000;
const TABLES = ['events', 'activity_spans', 'device_events', 'screenshots'] as const;

async function main() {
  const loadAtStart = loadavg()[0]!;
  const db = await createTestDatabase('postgres');
  const server = await startTestServer({
    database: db,
    config: { retention: { intervalMs: 0, batchSize: BATCH } },
  });
  const pool = db.database.pool!;
  // Only the parameters the statement names: the day's statements share one list.
  const query = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) => {
    const named = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    return (await pool.query(text, params.slice(0, named))).rows as T[];
  };
  try {
    const { projectId } = await createTestProject(server, { name: 'Sixty days', retentionDays: DAYS });
    // Seats and agents in SQL: enrolling a thousand agents over HTTP measures enrollment, not storage.
    await query(
      `insert into seats (id, project_id, name)
       select 'seat-' || lpad(n::text, 5, '0'), $1, 'desk-' || lpad(n::text, 5, '0') from generate_series(1, $2) n`,
      [projectId, SEATS],
    );
    await query(
      `insert into agents (id, project_id, seat_id, public_key, hostname, os, os_user, agent_version, enrolled_ip,
                           state, state_at, last_seen_at)
       select 'agent-' || lpad(n::text, 5, '0'), $1, 'seat-' || lpad(n::text, 5, '0'), 'bench-key-' || n,
              'desk-' || lpad(n::text, 5, '0'), 'linux', 'operator', '1.0.0', '10.0.0.1', 'active', now(), now()
       from generate_series(1, $2) n`,
      [projectId, SEATS],
    );
    // Day 0 starts DAYS + EXPIRED_DAYS days before today's midnight (UTC); the last day is yesterday.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const first = today - (DAYS + EXPIRED_DAYS) * DAY;
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    await query('select seatwatch_create_partitions($1::date, $2::date)', [iso(first), iso(today)]);

    const seeded = Date.now();
    const generatedDays = DAYS + EXPIRED_DAYS;
    for (let d = 0; d < generatedDays; d++) {
      if (d > 0) {
        // At 1,000 seats this takes about an hour: a line a day, with the time left at this pace.
        const elapsed = (Date.now() - seeded) / 1000;
        const left = Math.round(((generatedDays - d) * elapsed) / d / 60);
        process.stderr.write(
          `generated ${d} of ${generatedDays} days in ${Math.round(elapsed)} s; about ${left} min left\n`,
        );
      }
      const shift = `(timestamptz 'epoch' + $2::bigint * interval '1 millisecond' + interval '8 hours')`;
      const params = [projectId, first + d * DAY, d];
      const owner = `$1, a.id, a.seat_id`;
      await query(
        `insert into activity_spans (project_id, agent_id, seat_id, started_at, ended_at, app, title, seq)
         select ${owner}, ${shift} + i * interval '45 seconds', ${shift} + i * interval '45 seconds' + interval '40 seconds',
                (array['CRM','Mail','Softphone','Knowledge base','Ticketing','Chat','Browser','Spreadsheet'])[1 + i % 8],
                'Ticket #' || ($3 * 1000 + i / 5) || ' – customer ' || substr(md5(a.id || $3 || i), 1, 12),
                $3 * 100000 + i
         from agents a, generate_series(0, 639) i where a.project_id = $1`,
        params,
      );
      await query(
        `insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
         select ${owner}, $3 * 100000 + i, k, 'activity', ${shift} + i * interval '45 seconds' + k * interval '40 seconds',
                jsonb_build_object('type', 'activity', 'app', 'CRM', 'title', 'Ticket #' || i),
                ${shift} + i * interval '45 seconds' + k * interval '41 seconds'
         from agents a, generate_series(0, 639) i, generate_series(0, 1) k where a.project_id = $1`,
        params,
      );
      await query(
        `insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
         select ${owner}, $3 * 100000 + 90000 + j, 0, 'status', ${shift} + j * interval '24 minutes',
                jsonb_build_object('type', 'status', 'state', (array['active','idle','locked'])[1 + j % 3], 'idleMs', 0),
                ${shift} + j * interval '24 minutes'
         from agents a, generate_series(0, 19) j where a.project_id = $1`,
        params,
      );
      await query(
        `insert into screenshots (project_id, agent_id, seat_id, seq, time, sha256, size, mime, width, height, monitor,
                                  trigger, thumb_sha256, received_at)
         select ${owner}, $3 * 100000 + 95000 + k, ${shift} + k * interval '5 minutes',
                md5(a.id || $3 || '-' || k) || md5($3 || '-' || k), 48000, 'image/jpeg', 1280, 720, 0, 'schedule',
                md5($3 || '-' || k || a.id) || md5(k || '-' || $3), ${shift} + k * interval '5 minutes'
         from agents a, generate_series(0, 95) k where a.project_id = $1`,
        params,
      );
      await query(
        `insert into device_events (project_id, agent_id, seat_id, seq, idx, time, action, device_id, name, mass_storage)
         select ${owner}, $3 * 100000 + 96000 + k, 0, ${shift} + k * interval '2 hours',
                case when k % 2 = 0 then 'attached' else 'detached' end, 'usb-' || k, 'Cruzer Blade', true
         from agents a, generate_series(0, 3) k where a.project_id = $1`,
        params,
      );
      await query(
        `insert into logins (at, kind, project_id, agent_id, seat_id, ip, peer_ip, allowed, hostname, os_user)
         select ${shift} + k * interval '3 hours', 'hello', ${owner}, '10.0.0.1', '10.0.0.1', true, 'desk', 'operator'
         from agents a, generate_series(0, 2) k where a.project_id = $1`,
        params,
      );
    }
    process.stderr.write('generated; analyze, then the retention and timeline measurements\n');
    await query('analyze');
    const seedSeconds = (Date.now() - seeded) / 1000;

    const partitionSizes = async () => {
      const rows = await query<{ bytes: string; rows: string }>(
        `select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::bigint as bytes,
                coalesce(sum(c.reltuples), 0)::bigint as rows
         from pg_inherits i join pg_class c on c.oid = i.inhrelid
         where i.inhparent in ('events'::regclass, 'activity_spans'::regclass, 'device_events'::regclass,
                               'screenshots'::regclass)`,
      );
      return { bytes: Number(rows[0]!.bytes), rows: Number(rows[0]!.rows) };
    };
    const before = await partitionSizes();
    const [logins] = await query<{ bytes: string }>(
      `select pg_total_relation_size('logins')::bigint as bytes`,
    );

    // Row by row, as the job did before partitions: day 0, in batches, every table (its SQL, held rows skipped).
    const dayEnd = new Date(first + DAY).toISOString();
    const timeColumn: Record<(typeof TABLES)[number], string> = {
      events: 'time',
      activity_spans: 'ended_at',
      device_events: 'time',
      screenshots: 'time',
    };
    let rowByRowRows = 0;
    const rowByRowStarted = performance.now();
    for (const table of ROW_BY_ROW ? TABLES : []) {
      for (;;) {
        const deleted = await query<{ sha256?: string; thumb_sha256?: string }>(
          `delete from ${table} where id in (
             select t.id from ${table} t
             where t.project_id = $1 and t.${timeColumn[table]} < $2::timestamptz and not t.legal_hold
               and not exists (select 1 from seats s where s.id = t.seat_id and s.legal_hold)
               and not exists (select 1 from case_items ci join cases c on c.id = ci.case_id
                               where c.legal_hold and ci.seat_id = t.seat_id)
             order by t.id limit ${BATCH})
           returning ${table === 'screenshots' ? 'sha256, thumb_sha256' : 'id'}`,
          [projectId, dayEnd],
        );
        rowByRowRows += deleted.length;
        if (table === 'screenshots' && deleted.length > 0) {
          const hashes = deleted.flatMap((row) => [row.sha256!, row.thumb_sha256!]);
          await query(
            `select h.sha from jsonb_array_elements_text($1::jsonb) as h(sha)
             where not exists (select 1 from screenshots s where s.sha256 = h.sha or s.thumb_sha256 = h.sha)`,
            [JSON.stringify(hashes)],
          );
        }
        if (deleted.length < BATCH) break;
      }
    }
    const rowByRowMs = performance.now() - rowByRowStarted;
    process.stderr.write(
      `row by row: ${rowByRowRows} rows in ${Math.round(rowByRowMs / 1000)} s; one retention run\n`,
    );

    // One retention run: day 1's partitions (and day 0's, emptied above) are past the retention and go whole.
    const dropStarted = performance.now();
    const retention = await server.app.seatwatch.runRetention();
    const dropMs = performance.now() - dropStarted;
    const droppedRows = Object.values(retention.rows).reduce((sum, n) => sum + n, 0);
    const after = await partitionSizes();

    const views = await timeViews(
      server,
      { projectId, seatId: 'seat-00001', firstDay: first + EXPIRED_DAYS * DAY, days: DAYS },
      RUNS,
    );

    const seatDays = SEATS * (DAYS + EXPIRED_DAYS);
    const report = {
      at: new Date().toISOString(),
      seats: SEATS,
      days: DAYS,
      expiredDays: EXPIRED_DAYS,
      seedSeconds: round(seedSeconds),
      size: {
        telemetryBytes: before.bytes,
        telemetryRows: before.rows,
        bytesPerSeatPerDay: Math.round(before.bytes / seatDays),
        loginsBytesPerSeatPerDay: Math.round(Number(logins!.bytes) / seatDays),
        afterRetentionBytes: after.bytes,
      },
      retention: {
        rowByRow: ROW_BY_ROW ? { rows: rowByRowRows, ms: round(rowByRowMs) } : null,
        partitionDrop: { rows: droppedRows, ms: round(dropMs), partitions: retention.partitions },
        rowByRowOverDrop: ROW_BY_ROW ? round(rowByRowMs / dropMs) : null,
      },
      ...views,
      loadAverage: { start: round(loadAtStart), end: round(loadavg()[0]!) },
      database: KEEP ? db.url : null,
    };
    const dir = join(import.meta.dirname, '..', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `sixty-days-${report.at.replaceAll(':', '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\nwritten to ${file}\n`);
  } finally {
    await server.close();
    if (KEEP) {
      await db.database.close();
      process.stdout.write(`kept the database: ${db.url}\n`);
    } else await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
