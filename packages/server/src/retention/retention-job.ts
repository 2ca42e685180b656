/**
 * The retention job: for each project, deletes events, activity spans,
 * device events and screenshots (rows, then bytes no row refers to) older
 * than the project's retention, in batches so that no transaction holds
 * many locks, skipping anything under legal hold. On PostgreSQL an advisory
 * lock lets one process run it at a time.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { BlobStore } from '../blobs/blob-store.js';
import { refreshAllCaseHolds } from '../cases/legal-hold.js';
import type { Database, Executor } from '../db/connect.js';
import { retentionCutoffs } from '../domain/retention.js';
import {
  deleteExpiredRows,
  deleteExpiredScreenshots,
  projectRetentions,
  type RetainedTable,
  underRetentionLock,
  unreferencedBlobs,
} from './retention.repository.js';

export interface RetentionDeps {
  database: Database;
  blobs: BlobStore;
  now: () => number;
  batchSize: number;
  logger: FastifyBaseLogger;
}

export interface RetentionReport {
  /** False when another process held the lock and this run did nothing. */
  ran: boolean;
  rows: Record<RetainedTable | 'screenshots', number>;
  blobs: number;
}

const TABLES: RetainedTable[] = ['events', 'activity_spans', 'device_events'];

/**
 * Of these blob hashes (screenshots and thumbnails whose rows were just
 * deleted), deletes the bytes no screenshot row refers to any more; returns how many.
 */
export async function deleteUnreferencedBlobs(
  ex: Executor,
  blobs: BlobStore,
  hashes: readonly string[],
): Promise<number> {
  let deleted = 0;
  for (const sha256 of await unreferencedBlobs(ex, hashes)) {
    await blobs.delete(sha256);
    deleted++;
  }
  return deleted;
}

export async function runRetention(deps: RetentionDeps): Promise<RetentionReport> {
  const report: RetentionReport = {
    ran: true,
    rows: { events: 0, activity_spans: 0, device_events: 0, screenshots: 0 },
    blobs: 0,
  };
  const { db } = deps.database;
  const ran = await underRetentionLock(deps.database, async () => {
    // Rows that reached a held case's time range after the hold was placed get their flag now (issue #7).
    await refreshAllCaseHolds(db);
    for (const { projectId, before } of retentionCutoffs(await projectRetentions(db), deps.now())) {
      const cutoff = new Date(before);
      for (const table of TABLES) {
        for (;;) {
          const deleted = await deleteExpiredRows(db, table, projectId, cutoff, deps.batchSize);
          report.rows[table] += deleted;
          if (deleted < deps.batchSize) break;
        }
      }
      for (;;) {
        const { deleted, hashes } = await deleteExpiredScreenshots(db, projectId, cutoff, deps.batchSize);
        report.rows.screenshots += deleted;
        report.blobs += await deleteUnreferencedBlobs(db, deps.blobs, hashes);
        if (deleted < deps.batchSize) break;
      }
    }
    return true;
  });
  return ran ? report : { ...report, ran: false };
}

export interface RetentionSchedule {
  stop(): Promise<void>;
}

/** Runs retention every `intervalMs` (first run one interval after start); stop() waits for a run in progress. */
export function scheduleRetention(deps: RetentionDeps, intervalMs: number): RetentionSchedule {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = runRetention(deps)
      .then((report) => {
        if (report.ran) deps.logger.info({ retention: report }, 'retention run finished');
      })
      .catch((error: unknown) => deps.logger.error({ err: error }, 'retention run failed'))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
