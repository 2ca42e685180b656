/** Public surface of @seatwatch/server for other packages (e2e tests, bench). */

export type { AccountService } from './accounts/account.service.js';
export type { AdminActor, AdminAuthorizer } from './accounts/admin-auth.js';
export type { AnomalyOptions } from './anomalies/anomalies.plugin.js';
export { type AppDeps, buildApp, SERVER_VERSION, type SeatwatchRuntime } from './app.js';
export { createFilesystemBlobStore } from './blobs/blob-store.filesystem.js';
export { type BlobStore, BlobStoreUnavailableError } from './blobs/blob-store.js';
export { createJournaledBlobStore } from './blobs/journaled-blob-store.js';
export { ORPHAN_GRACE_MS, type OrphanSweepReport, sweepOrphanBlobs } from './blobs/orphan-sweep.js';
export { createSharpThumbnailMaker, type ThumbnailMaker } from './blobs/thumbnails.sharp.js';
export type { CommandService } from './commands/command.service.js';
export { ConfigError, configWith, loadConfig, type ServerConfig } from './config.js';
export { type Database, type Db, openDatabase } from './db/connect.js';
export { MIGRATIONS_FOLDER, migrateDatabase } from './db/migrate.js';
export * as schema from './db/schema/index.js';
/** The group commit's mapping and statement on their own, for bench/load/ingest-cost.ts. */
export { type AgentProgress, agentProgress, mapBatch, mergeSpans } from './domain/ingest-mapping.js';
export { storeIngestRows } from './ingest/ingest.repository.js';
export type {
  AgentSession,
  CommittedEvent,
  CommittedFrame,
  FrameRefusal,
  IngestHub,
  IngestObserver,
  LoginAttempt,
  SessionClose,
} from './ingest/ingest-hub.js';
export type { Notification, NotificationPort } from './notifications/notification-port.js';
export { openNotifications, type RunningServer, startServer } from './startup/startup.js';
