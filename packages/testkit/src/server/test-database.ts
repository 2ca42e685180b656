/**
 * A migrated database for one test file: PGlite in memory, or a fresh
 * PostgreSQL database (seatwatch_test_<random>) on 127.0.0.1:5432 that is
 * dropped again on close. PGlite takes seconds and most of a gigabyte to
 * start, so a file opens one of each and shares it between its tests.
 *
 * Both start as a copy of one migrated database (migrated-image.ts) rather
 * than running initdb and the migrations for every file, which cost seconds
 * of CPU each; migrateDatabase still runs on the copy, as the server does at
 * every start.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import {
  type Database,
  migrateDatabase,
  type NotificationPort,
  openDatabase,
  openNotifications,
} from '@seatwatch/server';
import pg from 'pg';
import { createMigratedPostgresDatabase, migratedPgliteImage } from './migrated-image.js';

export type DbKind = 'pglite' | 'postgres';
export const DB_KINDS: readonly DbKind[] = ['pglite', 'postgres'];

/** The maintenance database used to create and drop test databases. */
export const POSTGRES_ADMIN_URL =
  process.env.SEATWATCH_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly kind: DbKind;
  readonly database: Database;
  /** The PostgreSQL URL of this test database (null for PGlite), e.g. for a child server process. */
  readonly url: string | null;
  /**
   * A notification port for one server on this database. On PostgreSQL each
   * call opens its own LISTEN connection (like a separate process); on PGlite
   * every server in the file shares one in-process port.
   */
  openNotifications(): Promise<NotificationPort>;
  close(): Promise<void>;
}

/** A test's assertions, not the channel's error callback, say what went wrong. */
const ignoreError = () => {};

function urlFor(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Creates an empty PostgreSQL database (or, `migrated`, a copy of the migrated template) and
 * returns its URL and a function that drops it.
 */
export async function createPostgresDatabase(
  options: { migrated?: boolean } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `seatwatch_test_${randomBytes(6).toString('hex')}`;
  if (options.migrated) {
    await createMigratedPostgresDatabase(POSTGRES_ADMIN_URL, name);
  } else {
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`create database ${name}`);
    } finally {
      await admin.end();
    }
  }
  return {
    url: urlFor(name),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestDatabaseOptions {
  /**
   * PGlite in this folder instead of in memory, for a test that also runs a
   * CLI command on it the way an operator would (server stopped, the test's
   * handle closed), then opens the folder again. Ignored for PostgreSQL.
   */
  pgliteDir?: string;
}

export async function createTestDatabase(
  kind: DbKind,
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    // PGlite refuses a copy for a folder that already holds a database (a test reopening its folder).
    const fresh = options.pgliteDir === undefined || isEmptyOrAbsent(options.pgliteDir);
    const database = await openDatabase({
      pgliteDir: options.pgliteDir,
      pgliteImage: fresh ? await migratedPgliteImage() : undefined,
    });
    await migrateDatabase(database);
    const shared = await openNotifications(database, ignoreError);
    return {
      kind,
      database,
      url: null,
      openNotifications: async () => ({ ...shared, close: async () => {} }),
      close: async () => {
        await shared.close();
        await database.close();
      },
    };
  }
  const { url, drop } = await createPostgresDatabase({ migrated: true });
  const database = await openDatabase({ databaseUrl: url, poolSize: 5 });
  try {
    await migrateDatabase(database);
  } catch (error) {
    await database.close();
    await drop();
    throw error;
  }
  return {
    kind,
    database,
    url,
    openNotifications: () => openNotifications(database, ignoreError),
    close: async () => {
      await database.close();
      await drop();
    },
  };
}

function isEmptyOrAbsent(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}
