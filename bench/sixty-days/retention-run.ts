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
import { migrateDatabase, openDatabase, openNotifications } from '@seatwatch/server';
import { startTestServer, type TestDatabase } from '@seatwatch/testkit/server';

const DAY = 86_400_000;

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL must name the database the sixty-days bench kept');
  const later = Number(process.env.BENCH_DAYS_LATER ?? 1);
  if (!Number.isInteger(later) || later < 1 || later > 30)
    throw new Error(`BENCH_DAYS_LATER must be a whole number of days from 1 to 30, got ${later}`);
  const database = await openDatabase({ databaseUrl: url });
  await migrateDatabase(database);
  const kept: TestDatabase = {
    kind: 'postgres',
    database,
    url,
    openNotifications: () =>
      openNotifications(database, (error) => process.stderr.write(`notifications: ${error}\n`)),
    close: () => database.close(),
  };
  const server = await startTestServer({
    database: kept,
    config: { retention: { intervalMs: 0 } },
    now: () => Date.now() + later * DAY,
  });
  try {
    const loadAtStart = loadavg()[0]!;
    process.stderr.write(`one retention run, ${later} day(s) later than now ...\n`);
    const started = performance.now();
    const report = await server.app.seatwatch.runRetention();
    const ms = performance.now() - started;
    const rows = Object.values(report.rows).reduce((sum, n) => sum + n, 0);
    process.stdout.write(
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          daysLater: later,
          ms: Math.round(ms),
          rows: report.rows,
          rowsInAll: rows,
          blobsDeleted: report.blobs,
          partitions: report.partitions.length,
          loadAverage: { start: loadAtStart, end: loadavg()[0] },
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    await server.close();
    await kept.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
