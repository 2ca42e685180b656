/**
 * Opens the database: real PostgreSQL through a `pg` pool when a URL is
 * given, otherwise embedded PGlite (in a folder, or in memory for tests).
 * Both give the same drizzle API over the same schema.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Pool, PoolClient } from 'pg';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** The handle inside `db.transaction(async (tx) => ...)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** Either a transaction or the database itself. */
export type Executor = Db | Tx;

export type DatabaseKind = 'pglite' | 'postgres';

/** The embedded database's folder inside the data folder. */
export const PGLITE_FOLDER = 'pglite';

export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Db;
  /** For a dedicated LISTEN connection (postgres only). */
  readonly connectionString: string | null;
  /** The pg pool (postgres only), for work that needs one session (advisory locks). */
  readonly pool: Pool | null;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent, PGlite is used. */
  databaseUrl?: string | undefined;
  /** PGlite data folder; absent means in memory (tests). */
  pgliteDir?: string | undefined;
  /** pg pool size. */
  poolSize?: number;
  /**
   * A new PGlite database starts as this copy (made by PGlite's dumpDataDir) instead of empty; PGlite
   * refuses it for a folder that already holds a database. Ignored for PostgreSQL. The test harness
   * opens every test's database from one migrated copy: initdb and the migrations cost seconds each.
   */
  pgliteImage?: Blob | undefined;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openPglite(options.pgliteDir, options.pgliteImage);
}

async function openPostgres(connectionString: string, poolSize: number): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  // No JIT compilation: a query over the daily partitions (issue #15) compiles the expressions of every
  // partition it plans, which cost far more than it saved. On 60 days of 1,000 seats: the board 943 -> 208 ms,
  // a 60-day timeline 1,556 -> 731 ms, a 30-day top-apps report of 100 seats 7.2 -> 1.4 s
  // (docs/benchmarks.md). PGOPTIONS comes after it, so it can turn JIT back on; `options` in the URL
  // replaces both.
  const options = ['-c jit=off', process.env.PGOPTIONS].filter(Boolean).join(' ');
  const pool = new pg.Pool({ connectionString, max: poolSize, options });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // The pool listens only to idle clients: one checked out (a transaction between two statements)
  // when PostgreSQL dies would emit an unheard 'error' and end the process. Its next query fails
  // instead, and the caller's error path (a frame not stored, a retry) takes over (issue #15).
  pool.on('connect', (client) => client.on('error', () => {}));
  releaseLostClients(pool);
  const db = drizzle({ client: pool, schema }) as unknown as Db;
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { kind: 'postgres', db, connectionString, pool, close: () => pool.end() };
}

/**
 * drizzle's `transaction()` releases its pooled client only once `begin`
 * has succeeded: a connection lost between the checkout and `begin` (PostgreSQL
 * crashing under load) kept its client checked out for ever, so every crash
 * shrank the pool by one and `pool.end()` never finished (issue #15). A client
 * whose connection ends while checked out is therefore given back here, with
 * the error so the pool drops it; a later release of it (drizzle's own, when
 * it gets there) does nothing. A client released normally gets pg's own
 * release back for its next checkout.
 */
function releaseLostClients(pool: Pool): void {
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  pool.connect = ((...args: unknown[]) => {
    // pg's own pool.query() checks out with a callback and releases it itself.
    if (args.length > 0) return connect(...args);
    return (connect() as Promise<PoolClient>).then(releasedIfLost);
  }) as Pool['connect'];
}

function releasedIfLost(client: PoolClient): PoolClient {
  const release = client.release;
  const giveBack = (error?: Error | boolean) => {
    client.removeListener('end', onLost);
    client.release = error ? () => {} : release;
    release.call(client, error);
  };
  const onLost = () => giveBack(new Error('connection to PostgreSQL lost while checked out'));
  client.once('end', onLost);
  client.release = giveBack;
  return client;
}

async function openPglite(dir: string | undefined, image: Blob | undefined): Promise<Database> {
  // Imported only here: the WebAssembly build is large and unused with PostgreSQL.
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  let releaseLock = () => {};
  if (dir) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    releaseLock = lockPgliteDir(dir);
  }
  try {
    const client = await PGlite.create({
      ...(dir ? { dataDir: dir } : {}),
      ...(image ? { loadDataDir: image } : {}),
    });
    const db = drizzle({ client, schema }) as unknown as Db;
    return {
      kind: 'pglite',
      db,
      connectionString: null,
      pool: null,
      close: async () => {
        await client.close();
        releaseLock();
      },
    };
  } catch (error) {
    releaseLock();
    throw error;
  }
}

/**
 * PGlite is one process's database: a second process opening the same
 * folder would corrupt it. A lock file holding our pid refuses that; a lock
 * left by a dead process (a crash, SIGKILL) is taken over.
 */
function lockPgliteDir(dir: string): () => void {
  const lockPath = join(dir, 'seatwatch.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new Error(
          `The embedded database in ${dir} is in use by process ${holder}. ` +
            'Stop that server first, or use PostgreSQL (DATABASE_URL) to run several processes.',
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Rows of a raw `db.execute(sql...)`: both drivers return `{ rows }`. */
export async function queryRows<T>(executor: Executor, query: Parameters<Db['execute']>[0]): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
