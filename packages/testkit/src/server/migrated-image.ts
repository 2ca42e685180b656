/**
 * One migrated database, made once and copied for every test file that asks
 * createTestDatabase for one: PGlite's data folder dumped to a file in the
 * temporary folder (loaded instead of initdb), and a PostgreSQL template
 * database (CREATE DATABASE ... TEMPLATE). initdb and the migrations cost a
 * PGlite file 3 to 5 s of CPU, a PostgreSQL one about 1 s of the server's;
 * a copy costs half a second and a tenth of that.
 *
 * Both are keyed by the migrations' files, the PGlite build the server
 * resolves and the UTC day: migration 0015 makes the day partitions from
 * yesterday to a week ahead, so a copy made on another day would not be the
 * database a migration makes today. A stale copy is removed when the next
 * one is made; both are caches and safe to delete.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS_FOLDER, migrateDatabase, openDatabase } from '@seatwatch/server';
import pg from 'pg';

const IMAGE_FOLDER = join(tmpdir(), 'seatwatch-test-pglite');
const TEMPLATE_PREFIX = 'seatwatch_template_';
// Any constant works; the same in every test process, apart from the server's migration lock.
const TEMPLATE_LOCK_KEY = 0x5ea7_7e51;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.isFile() ? [join(dir, entry.name)] : [],
    )
    .sort();
}

function imageKey(): string {
  const hash = createHash('sha256');
  for (const file of filesUnder(MIGRATIONS_FOLDER))
    hash.update(file.slice(MIGRATIONS_FOLDER.length)).update(readFileSync(file));
  // The resolved path names the installed version (pnpm's store folder): a data folder is only read by its own build.
  const server = createRequire(import.meta.resolve('@seatwatch/server/package.json'));
  hash.update(server.resolve('@electric-sql/pglite'));
  hash.update(new Date().toISOString().slice(0, 10));
  return hash.digest('hex').slice(0, 16);
}

let image: { key: string; blob: Promise<Blob> } | null = null;

/** The migrated PGlite data folder as PGlite's loadDataDir takes it; made by the first file of the day. */
export function migratedPgliteImage(): Promise<Blob> {
  const key = imageKey();
  if (image?.key !== key) image = { key, blob: loadOrMakeImage(key) };
  return image.blob;
}

async function loadOrMakeImage(key: string): Promise<Blob> {
  const file = join(IMAGE_FOLDER, `${key}.tar`);
  try {
    return new Blob([readFileSync(file)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const database = await openDatabase({});
  let bytes: Uint8Array;
  try {
    await migrateDatabase(database);
    const client = (
      database.db as unknown as { $client: { dumpDataDir(compression: 'none'): Promise<Blob> } }
    ).$client;
    bytes = new Uint8Array(await (await client.dumpDataDir('none')).arrayBuffer());
  } finally {
    await database.close();
  }
  mkdirSync(IMAGE_FOLDER, { recursive: true });
  // Written aside and renamed: a file running at the same time never reads half an image.
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, bytes);
  renameSync(partial, file);
  for (const name of readdirSync(IMAGE_FOLDER)) {
    if (name.endsWith('.tar') && name !== `${key}.tar`) rmSync(join(IMAGE_FOLDER, name), { force: true });
  }
  return new Blob([bytes]);
}

/**
 * Creates `name` as a copy of the migrated template, making the template first when today's is
 * missing. Test files do this one at a time (an advisory lock): a template must have no session
 * while it is copied, and a stale one is dropped only when no file is copying it.
 */
export async function createMigratedPostgresDatabase(adminUrl: string, name: string): Promise<void> {
  const template = `${TEMPLATE_PREFIX}${imageKey()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    const found = await admin.query<{ datistemplate: boolean }>(
      'select datistemplate from pg_database where datname = $1',
      [template],
    );
    if (found.rows[0]?.datistemplate !== true) await makeTemplate(admin, adminUrl, template);
    await admin.query(`create database ${name} template ${template}`);
  } finally {
    // Ending the session releases the lock too, also when a query above failed.
    await admin.end();
  }
}

async function makeTemplate(admin: pg.Client, adminUrl: string, template: string): Promise<void> {
  const stale = await admin.query<{ datname: string }>(
    'select datname from pg_database where datname like $1 and datname <> $2',
    [`${TEMPLATE_PREFIX}%`, template],
  );
  // Earlier days' and migrations' templates, and this one if a build of it was cut short (not marked a template).
  for (const { datname } of [...stale.rows, { datname: template }]) {
    await admin.query(`alter database ${datname} is_template false`).catch(() => {});
    await admin.query(`drop database if exists ${datname} with (force)`);
  }
  await admin.query(`create database ${template}`);
  const url = new URL(adminUrl);
  url.pathname = `/${template}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 1 });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
  await admin.query(`alter database ${template} is_template true`);
}
