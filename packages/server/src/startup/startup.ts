/**
 * The one way every entry point opens what a configuration names: the
 * database (PGlite in the data folder, or DATABASE_URL) with its
 * migrations, the secrets, the blob store and the notification channel.
 * main.ts (and so the CLI's `serve`) starts the whole server with
 * startServer(); the CLI's `migrate` and `offboard` open only the database
 * (and blobs) with withDatabase() and openBlobStore(); `verify-audit` opens
 * it as it is, never migrating, with withReadOnlyDatabase().
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { clearAgentSessions } from '../agents/agents.repository.js';
import { buildApp } from '../app.js';
import type { AuditCheckpointer } from '../audit/audit-checkpointer.js';
import { createFilesystemBlobStore } from '../blobs/blob-store.filesystem.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { createS3BlobStore, readS3CredentialsFile } from '../blobs/blob-store.s3.js';
import { createJournaledBlobStore } from '../blobs/journaled-blob-store.js';
import { scheduleOrphanSweep } from '../blobs/orphan-sweep.js';
import type { ServerConfig } from '../config.js';
import { type Database, openDatabase, PGLITE_FOLDER } from '../db/connect.js';
import { migrateDatabase } from '../db/migrate.js';
import { createInProcessNotificationPort } from '../notifications/notification-port.in-process.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import { createPostgresNotificationPort } from '../notifications/notification-port.postgres.js';
import { loadSecrets, type ServerSecrets } from '../secrets/secret-files.js';
import { createPolicyService } from '../tenancy/policy.service.js';
import { configuredCheckpointer } from './audit-checkpoints.js';
import { checkAuditLogRole } from './audit-log-role.js';

export interface RunningServer {
  app: FastifyInstance;
  /** http(s)://host:port as listened on. */
  url: string;
  database: Database;
  secrets: ServerSecrets;
  /** Set when the database role could change the audit log (it is logged too; main.ts also prints it). */
  auditLogWarning: string | null;
  /** Signs and sends a checkpoint of the audit chain now (they also go out on a timer and at close). */
  auditCheckpoint: AuditCheckpointer['checkpoint'];
  close(): Promise<void>;
}

export const BLOB_FOLDER = 'blobs';

function openConfiguredDatabase(config: ServerConfig): Promise<Database> {
  return openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: join(config.dataDir, PGLITE_FOLDER),
    poolSize: config.databasePoolSize,
  });
}

/** Opens the configured database, brings its schema up to date, runs `use`, and closes it again. */
export async function withDatabase<T>(
  config: ServerConfig,
  use: (database: Database) => Promise<T>,
): Promise<T> {
  const database = await openConfiguredDatabase(config);
  try {
    await migrateDatabase(database, { appRole: config.databaseAppRole });
    return await use(database);
  } finally {
    await database.close();
  }
}

/**
 * Opens the configured database as it is and runs `use`: no migration (a
 * check must not change what it examines, and an auditor's role may only
 * read), on PostgreSQL in read-only transactions (default_transaction_read_only),
 * so even a role that could write writes nothing. The embedded database
 * has no roles to enforce that; it is opened only when it exists, never created.
 */
export async function withReadOnlyDatabase<T>(
  config: ServerConfig,
  use: (database: Database) => Promise<T>,
): Promise<T> {
  let database: Database;
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    const options = url.searchParams.get('options');
    url.searchParams.set('options', `${options ? `${options} ` : ''}-c default_transaction_read_only=on`);
    database = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
  } else {
    const folder = join(config.dataDir, PGLITE_FOLDER);
    // PG_VERSION is what initdb writes first: without it there is no database, and opening would make one.
    if (!existsSync(join(folder, 'PG_VERSION'))) {
      throw new NoDatabaseError(
        `there is no embedded database in ${folder} (set SEATWATCH_DATA_DIR or DATABASE_URL)`,
      );
    }
    database = await openConfiguredDatabase(config);
  }
  try {
    return await use(database);
  } finally {
    await database.close();
  }
}

/** The configuration names a database that is not there. */
export class NoDatabaseError extends Error {
  override name = 'NoDatabaseError';
}

/** The S3-compatible bucket when blobs.s3 is configured, else <dataDir>/blobs; sealed alike. */
export function openBlobStore(config: ServerConfig, blobKey: Uint8Array): BlobStore {
  const s3 = config.blobs.s3;
  if (!s3) return createFilesystemBlobStore(join(config.dataDir, BLOB_FOLDER), blobKey);
  const credentials = s3.credentialsFile
    ? readS3CredentialsFile(s3.credentialsFile)
    : s3.accessKeyId && s3.secretAccessKey
      ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
      : undefined;
  return createS3BlobStore({ ...s3, credentials }, blobKey);
}

export async function openNotifications(
  database: Database,
  onError: (error: unknown) => void,
): Promise<NotificationPort> {
  if (database.kind === 'pglite') return createInProcessNotificationPort(onError);
  return createPostgresNotificationPort({
    connectionString: database.connectionString!,
    pool: database.pool!,
    onError,
  });
}

export async function startServer(
  config: ServerConfig,
  options: { logger?: FastifyBaseLogger } = {},
): Promise<RunningServer> {
  const secrets = loadSecrets(config);
  const database = await openConfiguredDatabase(config);
  const closers: Array<() => Promise<void>> = [() => database.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    await migrateDatabase(database);
    const auditLogWarning = await checkAuditLogRole(database, config);
    // The embedded database has exactly one server process (the folder is locked), so every session
    // recorded in it belongs to a previous run that ended, perhaps by a crash that could not clear it.
    if (database.kind === 'pglite') await clearAgentSessions(database.db, new Date());
    let app: FastifyInstance | null = null;
    const notifications = await openNotifications(database, (error) =>
      app?.log.warn({ err: error }, 'notification channel problem'),
    );
    closers.push(() => notifications.close());
    // After the app has closed (nothing appends any more) and before the database does: the last checkpoint.
    const checkpoints = configuredCheckpointer(config, {
      db: database.db,
      signer: secrets.serverSigner,
      logger: {
        info: (details, message) => app?.log.info(details, message),
        warn: (details, message) => app?.log.warn(details, message),
        error: (details, message) => app?.log.error(details, message),
      },
    });
    closers.push(() => checkpoints.close());
    const store = openBlobStore(config, secrets.blobKey);
    // Closed after the app (closers run in reverse), so no in-flight screenshot loses its store.
    closers.push(async () => store.close?.());
    // A missing bucket or a refused key stops the start here, naming them, not at the first screenshot.
    await store.check?.();
    app = await buildApp({
      config,
      database,
      notifications,
      // Every put is noted first, so bytes whose row never commits are found by the orphan sweep.
      blobs: createJournaledBlobStore(store, database.db, Date.now),
      serverSigner: secrets.serverSigner,
      adminTokenHash: secrets.adminTokenHash,
      accountsKey: secrets.blobKey,
      tls: config.tls && { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
      processMetrics: true,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const running = app;
    closers.push(() => running.close());
    if (config.retention.intervalMs > 0) {
      const sweep = scheduleOrphanSweep(
        { db: database.db, blobs: store, now: Date.now, logger: app.log.child({ component: 'blob-sweep' }) },
        config.retention.intervalMs,
      );
      closers.push(() => sweep.stop());
    }
    if (auditLogWarning) app.log.warn(auditLogWarning);
    // The installation's minimum retention holds for policies stored before it was set or raised (issue #11).
    const raised = await createPolicyService({
      db: database.db,
      minimumRetentionDays: config.retention.minimumDays,
      now: Date.now,
    }).raiseRetentionsToMinimum();
    for (const change of raised) {
      app.log.warn(
        change,
        'a policy kept data for fewer days than retention.minimumDays: raised to it (audited)',
      );
    }
    const address = await app.listen({ host: config.host, port: config.port, backlog: config.listenBacklog });
    checkpoints.checkpointer.start();
    return {
      app,
      url: address,
      database,
      secrets,
      auditLogWarning,
      auditCheckpoint: checkpoints.checkpointer.checkpoint,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
