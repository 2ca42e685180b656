/**
 * A collector started on the database the sixty-days bench kept
 * (BENCH_KEEP_DB=1; its URL in BENCH_DATABASE_URL), for the runs that
 * measure again on it without generating 60 days of a floor again.
 */
import { migrateDatabase, openDatabase, openNotifications } from '@seatwatch/server';
import {
  startTestServer,
  type TestDatabase,
  type TestServer,
  type TestServerOptions,
} from '@seatwatch/testkit/server';

type ServerOptions = Omit<TestServerOptions, 'database'>;

/** Runs `work` with a server on the kept database, then closes both; exits 1 with the stack on a failure. */
export function runOnKeptDatabase(
  options: ServerOptions,
  work: (server: TestServer, kept: TestDatabase) => Promise<unknown>,
): void {
  const run = async () => {
    const url = process.env.BENCH_DATABASE_URL;
    if (!url) throw new Error('BENCH_DATABASE_URL must name the database the sixty-days bench kept');
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
    const server = await startTestServer({ ...options, database: kept });
    try {
      process.stdout.write(`${JSON.stringify(await work(server, kept), null, 2)}\n`);
    } finally {
      await server.close();
      await kept.close();
    }
  };
  run().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
