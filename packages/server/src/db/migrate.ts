/**
 * Brings the database up to date (both PGlite and PostgreSQL): applies the
 * drizzle-kit migrations that are pending, puts back the triggers of the
 * audit log and of the history tables (policy_history, signed_frames) when
 * they were dropped or disabled, and, when an application
 * role is named, grants it what the server needs (docs/deployment.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  grantApplicationRole,
  ownsAuditLog,
  restoreAuditGuards,
  restoreHistoryGuards,
} from './audit-protection.js';
import type { Database, Executor } from './connect.js';

/**
 * The migrations are SQL files in src/db/migrations. This module sits two
 * levels below the package root both as src/db/migrate.ts and as
 * dist/db/migrate.js, so the folder is found from either.
 */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../src/db/migrations/', import.meta.url));

// Any constant works; it only has to be the same in every server process.
const MIGRATION_LOCK_KEY = 0x5ea7_0001;

export interface MigrateOptions {
  /** PostgreSQL role the server runs as: granted what it needs, and on the audit log only INSERT and SELECT. */
  appRole?: string | undefined;
}

/** The newest migration's timestamp in the journal: drizzle applies every one newer than the last it recorded. */
function newestMigration(): number {
  const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ when: number }>;
  };
  return Math.max(...journal.entries.map((entry) => entry.when));
}

/**
 * Whether a migration is pending. Asked first because drizzle's migrator
 * starts with CREATE SCHEMA IF NOT EXISTS, which needs CREATE on the
 * database even when the schema is there: the application role has not,
 * and must still start on an up-to-date database.
 */
async function migrationPending(query: (text: string) => Promise<{ rows: unknown[] }>): Promise<boolean> {
  try {
    return await journalBehind(query);
  } catch {
    // A role that may not even read the journal: let the migrator try, and fail saying why.
    return true;
  }
}

async function journalBehind(query: (text: string) => Promise<{ rows: unknown[] }>): Promise<boolean> {
  const journal = await query(`select to_regclass('drizzle.__drizzle_migrations') is not null as present`);
  if ((journal.rows[0] as { present: boolean }).present !== true) return true;
  const last = await query('select max(created_at) as newest from drizzle.__drizzle_migrations');
  const newest = (last.rows[0] as { newest: string | number | null }).newest;
  return newest === null || Number(newest) < newestMigration();
}

export async function migrateDatabase(database: Database, options: MigrateOptions = {}): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (database.kind === 'pglite') {
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const client = (
      database.db as unknown as { $client: { query: (text: string) => Promise<{ rows: unknown[] }> } }
    ).$client;
    if (await migrationPending((text) => client.query(text))) await migrate(database.db as never, config);
    await restoreAuditGuards(database.db);
    await restoreHistoryGuards(database.db);
    return;
  }
  // Several processes may start at once on one PostgreSQL: one migrates, the others wait for it.
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const client = await database.pool!.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const db = drizzle({ client });
      const ex = db as unknown as Executor;
      if (await migrationPending((text) => client.query(text))) {
        try {
          await migrate(db, config);
        } catch (error) {
          throw new MigrationError(
            `applying migrations failed (${(error as Error).message}). If the server runs as an application ` +
              'role, run `seatwatch-server migrate` as the owner role first (docs/deployment.md).',
            { cause: error },
          );
        }
      }
      // Only the owner can put triggers back and grant; the application role itself (starting, or running
      // a command with the same configuration) finds both as the owner's migrate left them.
      if (await ownsAuditLog(ex)) {
        await restoreAuditGuards(ex);
        await restoreHistoryGuards(ex);
        if (options.appRole) await grantApplicationRole(ex, options.appRole);
      }
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** The database needs migrations this role cannot apply. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}
