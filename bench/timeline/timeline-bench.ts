/**
 * Timeline benchmark (issue #7): a seat with 60 days of data at the default
 * policy; the timeline query's p95 must stay under 300 ms on PostgreSQL.
 *
 * A real collector on a fresh PostgreSQL database (127.0.0.1:5432). One
 * project, BENCH_SEATS seats (default 21: the seat under investigation and
 * 20 neighbours, so the indexes hold other seats' rows too), each with a
 * real enrolled agent and 60 days of rows, made in SQL with
 * generate_series at the default policy's rates for an 8-hour shift:
 *   activity spans   one every 45 s        (640 a day, two activity events each)
 *   status changes   20 a day               (events of type status)
 *   screenshots      one every 5 minutes    (96 a day; rows only, the query reads no bytes)
 *   device events    4 a day, hellos 3 a day, anomalies 2 a day
 * A signed-in investigator then asks POST /api/v1/investigation/timeline
 * over HTTP (so each answer includes its audit entry), BENCH_RUNS times for
 * each shape: one day, one week, all 60 days, and 60 days with a title
 * search — each with every section and the totals.
 *
 * Run: pnpm --filter @seatwatch/bench timeline   (JSON in bench/results/timeline-*.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Timeline } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  enrollTestAgent,
  startTestServer,
} from '@seatwatch/testkit/server';
import { percentile, round, timingStats } from '../timings/percentiles.js';

const SEATS = Number(process.env.BENCH_SEATS ?? 21);
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const DAYS = 60;
const DAY = 86_400_000;

async function main() {
  const loadAtStart = loadavg()[0]!;
  const db = await createTestDatabase('postgres');
  const server = await startTestServer({ database: db });
  const pool = db.database.pool!;
  const query = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    (await pool.query(text, params)).rows as T[];
  try {
    const { projectId } = await createTestProject(server, { name: 'Timeline bench' });
    const seats: Array<{ seatId: string; agentId: string }> = [];
    for (let i = 0; i < SEATS; i++) {
      const agent = await enrollTestAgent(server, {
        projectId,
        hostname: `desk-${String(i).padStart(3, '0')}`,
      });
      const [row] = await query<{ seat_id: string }>('select seat_id from agents where id = $1', [
        agent.agentId,
      ]);
      seats.push({ seatId: row!.seat_id, agentId: agent.agentId });
    }
    // Day 0 starts 60 days ago at midnight UTC; the shift runs 08:00–16:00.
    const first = Math.floor((Date.now() - DAYS * DAY) / DAY) * DAY;
    const seeded = Date.now();
    for (const { seatId, agentId } of seats) {
      // $1 project, $2 agent, $3 seat, $4 the first day (ms).
      const owner = '$1, $2, $3';
      const shift = `(timestamptz 'epoch' + $4::bigint * interval '1 millisecond' + d * interval '1 day' + interval '8 hours')`;
      const params = [projectId, agentId, seatId, first];
      await query(
        `
        insert into activity_spans (project_id, agent_id, seat_id, started_at, ended_at, app, title, seq)
        select ${owner}, ${shift} + i * interval '45 seconds', ${shift} + i * interval '45 seconds' + interval '40 seconds',
               (array['CRM','Mail','Softphone','Knowledge base','Ticketing','Chat','Browser','Spreadsheet'])[1 + i % 8],
               'Ticket #' || (d * 1000 + i / 5) || ' – customer ' || substr(md5((d * 1000 + i)::text), 1, 12),
               d * 100000 + i
        from generate_series(0, ${DAYS - 1}) d, generate_series(0, 639) i`,
        params,
      );
      await query(
        `
        insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
        select ${owner}, d * 100000 + i, k, 'activity', ${shift} + i * interval '45 seconds' + k * interval '40 seconds',
               jsonb_build_object('type', 'activity', 'app', 'CRM', 'title', 'Ticket #' || i),
               ${shift} + i * interval '45 seconds' + k * interval '41 seconds'
        from generate_series(0, ${DAYS - 1}) d, generate_series(0, 639) i, generate_series(0, 1) k`,
        params,
      );
      await query(
        `
        insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
        select ${owner}, d * 100000 + 90000 + j, 0, 'status', ${shift} + j * interval '24 minutes',
               jsonb_build_object('type', 'status', 'state', (array['active','idle','locked'])[1 + j % 3], 'idleMs', 0),
               ${shift} + j * interval '24 minutes'
        from generate_series(0, ${DAYS - 1}) d, generate_series(0, 19) j`,
        params,
      );
      await query(
        `
        insert into screenshots (project_id, agent_id, seat_id, seq, time, sha256, size, mime, width, height, monitor,
                                 trigger, thumb_sha256, received_at)
        select ${owner}, d * 100000 + 95000 + k, ${shift} + k * interval '5 minutes',
               md5($3::text || d || '-' || k) || md5(d || '-' || k), 48000, 'image/jpeg', 1280, 720, 0, 'schedule',
               md5(d || '-' || k || $3::text) || md5(k || '-' || d), ${shift} + k * interval '5 minutes'
        from generate_series(0, ${DAYS - 1}) d, generate_series(0, 95) k`,
        params,
      );
      await query(
        `
        insert into device_events (project_id, agent_id, seat_id, seq, idx, time, action, device_id, name, mass_storage)
        select ${owner}, d * 100000 + 96000 + k, 0, ${shift} + k * interval '2 hours',
               case when k % 2 = 0 then 'attached' else 'detached' end, 'usb-' || k, 'Cruzer Blade', true
        from generate_series(0, ${DAYS - 1}) d, generate_series(0, 3) k`,
        params,
      );
      await query(
        `
        insert into logins (at, kind, project_id, agent_id, seat_id, ip, peer_ip, allowed, hostname, os_user)
        select ${shift} + k * interval '3 hours', 'hello', ${owner}, '10.0.0.' || (1 + k), '10.0.0.' || (1 + k), true,
               'desk', 'operator'
        from generate_series(0, ${DAYS - 1}) d, generate_series(0, 2) k`,
        params,
      );
      await query(
        `
        insert into anomalies (id, project_id, seat_id, agent_id, rule, severity, key, first_at, last_at, status)
        select gen_random_uuid()::text, $1, $3, $2, 'usb_storage', 'high', d || '-' || k,
               ${shift} + k * interval '4 hours', ${shift} + k * interval '4 hours' + interval '1 minute', 'resolved'
        from generate_series(0, ${DAYS - 1}) d, generate_series(0, 1) k`,
        params,
      );
    }
    await query(`analyze`);
    const seedSeconds = (Date.now() - seeded) / 1000;

    const investigator = await createSignedInUser(server, 'bench-investigator', [
      { role: 'investigator', projectId, teamId: null },
    ]);
    const target = seats[0]!.seatId;
    const last = first + DAYS * DAY;
    const shapes: Record<string, () => Record<string, unknown>> = {
      day: () => {
        const from = first + Math.floor(Math.random() * DAYS) * DAY;
        return { from, to: from + DAY };
      },
      week: () => {
        const from = first + Math.floor(Math.random() * (DAYS - 7)) * DAY;
        return { from, to: from + 7 * DAY };
      },
      all60days: () => ({ from: first, to: last }),
      search60days: () => ({ from: first, to: last, q: `ticket #${Math.floor(Math.random() * 60)}` }),
    };
    const results: Record<string, { p50: number; p95: number; max: number; runs: number }> = {};
    const all: number[] = [];
    const sizes: Record<string, unknown> = {};
    for (const [shape, window] of Object.entries(shapes)) {
      const times: number[] = [];
      for (let run = 0; run < RUNS + 3; run++) {
        const started = performance.now();
        const answer = await asUser<Timeline>(
          server,
          investigator,
          'POST',
          '/api/v1/investigation/timeline',
          {
            seatIds: [target],
            ...window(),
            reason: 'benchmark of the timeline query',
          },
        );
        const ms = performance.now() - started;
        if (answer.status !== 200)
          throw new Error(`timeline answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        if (run < 3) {
          sizes[shape] = { spans: answer.body.totals?.spans, screenshots: answer.body.totals?.screenshots };
          continue; // warm-up
        }
        times.push(ms);
        all.push(ms);
      }
      results[shape] = timingStats(times);
    }
    const [counts] = await query(
      `select
        (select count(*) from activity_spans where seat_id = $1)::int as spans,
        (select count(*) from events where seat_id = $1)::int as events,
        (select count(*) from screenshots where seat_id = $1)::int as screenshots,
        (select count(*) from activity_spans)::int as all_spans,
        (select count(*) from events)::int as all_events`,
      [target],
    );
    const report = {
      at: new Date().toISOString(),
      seats: SEATS,
      days: DAYS,
      rowsOfTheSeat: counts,
      seedSeconds: round(seedSeconds),
      perShape: results,
      overall: { p50: round(percentile(all, 50)), p95: round(percentile(all, 95)), runs: all.length },
      answerSizes: sizes,
      loadAverage: { start: round(loadAtStart), end: round(loadavg()[0]!) },
    };
    const dir = join(import.meta.dirname, '..', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `timeline-${report.at.replaceAll(':', '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\nwritten to ${file}\n`);
  } finally {
    await server.close();
    await db.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
