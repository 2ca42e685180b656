/**
 * One retention run on the database the sixty-days bench kept
 * (BENCH_KEEP_DB=1), as if BENCH_DAYS_LATER days (default 1) had passed
 * since it was made: that many more days of the floor are past the 60-day
 * retention, and their partitions go. For timing a retention run again
 * after a change without generating 60 days of a floor again; each run
 * takes days off the database for good.
 *
 * Run: BENCH_DATABASE_URL=<the kept URL> pnpm --filter @seatwatch/bench sixty-days-retention
 */
import { loadavg } from 'node:os';
import { runOnKeptDatabase } from './kept-database.js';

const DAY = 86_400_000;

const later = Number(process.env.BENCH_DAYS_LATER ?? 1);
if (!Number.isInteger(later) || later < 1 || later > 30)
  throw new Error(`BENCH_DAYS_LATER must be a whole number of days from 1 to 30, got ${later}`);

runOnKeptDatabase(
  { config: { retention: { intervalMs: 0 } }, now: () => Date.now() + later * DAY },
  async (server) => {
    const loadAtStart = loadavg()[0]!;
    process.stderr.write(`one retention run, ${later} day(s) later than now ...\n`);
    const started = performance.now();
    const report = await server.app.seatwatch.runRetention();
    const ms = performance.now() - started;
    return {
      at: new Date().toISOString(),
      daysLater: later,
      ms: Math.round(ms),
      rows: report.rows,
      rowsInAll: Object.values(report.rows).reduce((sum, n) => sum + n, 0),
      blobsDeleted: report.blobs,
      partitions: report.partitions.length,
      loadAverage: { start: loadAtStart, end: loadavg()[0] },
    };
  },
);
