/**
 * The timeline and board timings of the sixty-days bench again, on the
 * database it kept (BENCH_KEEP_DB=1), for timing them after a change
 * without generating 60 days of a floor again. Unlike retention-run.ts it
 * changes nothing but the two sign-ins it makes.
 *
 * Run: BENCH_DATABASE_URL=<the kept URL> pnpm --filter @seatwatch/bench sixty-days-views
 * (BENCH_RUNS calls each, default 30; JSON on stdout)
 */
import { loadavg } from 'node:os';
import { round } from '../timings/percentiles.js';
import { runOnKeptDatabase } from './kept-database.js';
import { timeViews } from './view-timings.js';

const DAY = 86_400_000;
const DAYS = 60;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

runOnKeptDatabase({ config: { retention: { intervalMs: 0 } } }, async (server, kept) => {
  const [project] = (
    await kept.database.pool!.query<{ id: string }>(`select id from projects where name = 'Sixty days'`)
  ).rows;
  if (!project) throw new Error('no "Sixty days" project: is this a database the sixty-days bench kept?');
  const loadAtStart = loadavg()[0]!;
  const views = await timeViews(
    server,
    {
      projectId: project.id,
      seatId: 'seat-00001',
      firstDay: Math.floor(Date.now() / DAY) * DAY - DAYS * DAY,
      days: DAYS,
    },
    RUNS,
  );
  return {
    at: new Date().toISOString(),
    ...views,
    loadAverage: { start: round(loadAtStart), end: round(loadavg()[0]!) },
  };
});
