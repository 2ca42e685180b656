/** Applies the drizzle-kit migrations at start (both PGlite and PostgreSQL). */
import { fileURLToPath } from 'node:url';
import type { Database } from './connect.js';

/**
 * The migrations are SQL files in src/db/migrations. This module sits two
 * levels below the package root both as src/db/migrate.ts and as
 * dist/db/migrate.js, so the folder is found from either.
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));

// Any constant works; it only has to be the same in every server process.
const MIGRATION_LOCK_KEY = 0x5ea7_0001;

export async function migrateDatabase(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (database.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    await migrate(database.db as never, config);
    return;
  }
  // Several processes may start at once on one PostgreSQL: one migrates, the others wait for it.
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const client = await database.pool!.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrate(drizzle({ client }), config);
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
