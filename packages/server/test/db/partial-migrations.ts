/**
 * A database as an older release left it: migrated up to one migration and
 * no further, so a test can fill it and watch what the later migrations do
 * to its rows (migrateDatabase then brings it up to date).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresDatabase, type DbKind } from '@seatwatch/testkit/server';
import { type Database, openDatabase } from '../../src/db/connect.js';
import { MIGRATIONS_FOLDER } from '../../src/db/migrate.js';

/** Applies the migrations whose journal idx is at most `lastIdx`, through drizzle's migrator as the server does. */
export async function migrateUpTo(database: Database, lastIdx: number): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'seatwatch-migrations-'));
  try {
    cpSync(MIGRATIONS_FOLDER, folder, { recursive: true });
    const journalFile = join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: Array<{ idx: number }> };
    journal.entries = journal.entries.filter((entry) => entry.idx <= lastIdx);
    writeFileSync(journalFile, JSON.stringify(journal));
    if (database.kind === 'pglite') {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(database.db as never, { migrationsFolder: folder });
    } else {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      await migrate(database.db as never, { migrationsFolder: folder });
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** An empty database of this kind (nothing migrated); `close` closes it, and drops PostgreSQL's. */
export async function openEmptyDatabase(
  kind: DbKind,
): Promise<{ database: Database; close: () => Promise<void> }> {
  if (kind === 'pglite') {
    const database = await openDatabase({});
    return { database, close: () => database.close() };
  }
  const { url, drop } = await createPostgresDatabase();
  const database = await openDatabase({ databaseUrl: url, poolSize: 2 });
  return {
    database,
    close: async () => {
      await database.close();
      await drop();
    },
  };
}
