/**
 * Opens everything a configuration asks for (database + migrations,
 * secrets, blob store, notifications), builds the app and listens. Used by
 * main.ts and by the CLI's `serve`; returns one close() that undoes it all
 * in order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createFilesystemBlobStore } from './blobs/blob-store.filesystem.js';
import type { ServerConfig } from './config.js';
import { type Database, openDatabase, PGLITE_FOLDER } from './db/connect.js';
import { migrateDatabase } from './db/migrate.js';
import { clearAgentSessions } from './db/repositories/agents.repository.js';
import { createInProcessNotificationPort } from './notifications/notification-port.in-process.js';
import type { NotificationPort } from './notifications/notification-port.js';
import { createPostgresNotificationPort } from './notifications/notification-port.postgres.js';
import { loadSecrets, type ServerSecrets } from './secrets/secret-files.js';

export interface RunningServer {
  app: FastifyInstance;
  /** http(s)://host:port as listened on. */
  url: string;
  database: Database;
  secrets: ServerSecrets;
  close(): Promise<void>;
}

/** Kept here too for importers of start-server; the CLI takes it from db/connect.js, which is light. */
export { PGLITE_FOLDER };
export const BLOB_FOLDER = 'blobs';

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
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: join(config.dataDir, PGLITE_FOLDER),
    poolSize: config.databasePoolSize,
  });
  const closers: Array<() => Promise<void>> = [() => database.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close();
  };
  try {
    await migrateDatabase(database);
    // The embedded database has exactly one server process (the folder is locked), so every session
    // recorded in it belongs to a previous run that ended, perhaps by a crash that could not clear it.
    if (database.kind === 'pglite') await clearAgentSessions(database.db, new Date());
    let app: FastifyInstance | null = null;
    const notifications = await openNotifications(database, (error) =>
      app?.log.warn({ err: error }, 'notification channel problem'),
    );
    closers.push(() => notifications.close());
    app = await buildApp({
      config,
      database,
      notifications,
      blobs: createFilesystemBlobStore(join(config.dataDir, BLOB_FOLDER), secrets.blobKey),
      serverSigner: secrets.serverSigner,
      adminTokenHash: secrets.adminTokenHash,
      accountsKey: secrets.blobKey,
      tls: config.tls && { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) },
      processMetrics: true,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    const running = app;
    closers.push(() => running.close());
    const address = await app.listen({ host: config.host, port: config.port });
    return { app, url: address, database, secrets, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
