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
import { migrateDatabase, openDatabase, openNotifications } from '@seatwatch/server';
import { startTestServer, type TestDatabase } from '@seatwatch/testkit/server';
import { round, timeViews } from './view-timings.js';

const DAY = 86_400_000;
const DAYS = 60;

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL must name the database the sixty-days bench kept');
  const runs = Number(process.env.BENCH_RUNS ?? 30);
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
  const server = await startTestServer({ database: kept, config: { retention: { intervalMs: 0 } } });
  try {
    const [project] = (
      await database.pool!.query<{ id: string }>(`select id from projects where name = 'Sixty days'`)
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
      runs,
    );
    process.stdout.write(
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          ...views,
          loadAverage: { start: round(loadAtStart), end: round(loadavg()[0]!) },
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
