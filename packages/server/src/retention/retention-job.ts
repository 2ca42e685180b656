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
import type { Database } from '../db/connect.js';
import { retentionCutoffs } from '../domain/retention.js';
import { projectRetentions } from '../tenancy/tenancy.repository.js';
import {
  deleteExpiredRows,
  deleteExpiredScreenshots,
  type RetainedTable,
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

const RETENTION_LOCK_KEY = 0x5ea7_0002;
const TABLES: RetainedTable[] = ['events', 'activity_spans', 'device_events'];

export async function runRetention(deps: RetentionDeps): Promise<RetentionReport> {
  const report: RetentionReport = {
    ran: true,
    rows: { events: 0, activity_spans: 0, device_events: 0, screenshots: 0 },
    blobs: 0,
  };
  const pool = deps.database.pool;
  const lockClient = pool ? await pool.connect() : null;
  try {
    if (lockClient) {
      const { rows } = await lockClient.query<{ locked: boolean }>(
        'select pg_try_advisory_lock($1) as locked',
        [RETENTION_LOCK_KEY],
      );
      if (!rows[0]?.locked) return { ...report, ran: false };
    }
    const { db } = deps.database;
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
        for (const sha256 of await unreferencedBlobs(db, hashes)) {
          await deps.blobs.delete(sha256);
          report.blobs++;
        }
        if (deleted < deps.batchSize) break;
      }
    }
    return report;
  } finally {
    if (lockClient) {
      await lockClient.query('select pg_advisory_unlock($1)', [RETENTION_LOCK_KEY]).catch(() => {});
      lockClient.release();
    }
  }
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
