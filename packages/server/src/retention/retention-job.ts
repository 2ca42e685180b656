/**
 * The retention job: for each project, deletes events, activity spans,
 * device events, signed frames and screenshots (rows, then bytes no row refers to) older
 * than the project's retention, in batches so that no transaction holds
 * many locks, skipping anything under legal hold. On PostgreSQL an advisory
 * lock lets one process run it at a time. Every run is in the audit log
 * (issue #11): one `retention.run` entry with what it deleted per table and
 * project, and a `retention.delete` entry in each project that lost rows,
 * also when the run fails part way (then with outcome `failed`).
 */
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/audit-log.js';
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

export type RowCounts = Record<RetainedTable | 'screenshots', number>;

/** What one project lost in a run. */
export interface ProjectDeletions {
  projectId: string;
  retentionDays: number;
  /** Rows older than this went (ISO 8601). */
  before: string;
  rows: RowCounts;
  blobs: number;
}

export interface RetentionReport {
  /** False when another process held the lock and this run did nothing. */
  ran: boolean;
  rows: RowCounts;
  blobs: number;
  /** The projects that lost anything. */
  projects: ProjectDeletions[];
}

const TABLES: RetainedTable[] = ['events', 'activity_spans', 'device_events', 'signed_frames'];

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

const noRows = (): RowCounts => ({
  events: 0,
  activity_spans: 0,
  device_events: 0,
  signed_frames: 0,
  screenshots: 0,
});
const deletedAny = (p: ProjectDeletions) => p.blobs > 0 || Object.values(p.rows).some((n) => n > 0);

export async function runRetention(deps: RetentionDeps): Promise<RetentionReport> {
  const report: RetentionReport = { ran: true, rows: noRows(), blobs: 0, projects: [] };
  const { db } = deps.database;
  const startedAt = deps.now();
  const ran = await underRetentionLock(deps.database, async () => {
    let failure: unknown = null;
    try {
      // Rows that reached a held case's time range after the hold was placed get their flag now (issue #7).
      await refreshAllCaseHolds(db);
      const retentions = await projectRetentions(db);
      const days = new Map(retentions.map((r) => [r.projectId, r.retentionDays]));
      for (const { projectId, before } of retentionCutoffs(retentions, deps.now())) {
        const cutoff = new Date(before);
        const project: ProjectDeletions = {
          projectId,
          retentionDays: days.get(projectId)!,
          before: cutoff.toISOString(),
          rows: noRows(),
          blobs: 0,
        };
        report.projects.push(project);
        for (const table of TABLES) {
          for (;;) {
            const deleted = await deleteExpiredRows(db, table, projectId, cutoff, deps.batchSize);
            project.rows[table] += deleted;
            report.rows[table] += deleted;
            if (deleted < deps.batchSize) break;
          }
        }
        for (;;) {
          const { deleted, hashes } = await deleteExpiredScreenshots(db, projectId, cutoff, deps.batchSize);
          project.rows.screenshots += deleted;
          report.rows.screenshots += deleted;
          const blobs = await deleteUnreferencedBlobs(db, deps.blobs, hashes);
          project.blobs += blobs;
          report.blobs += blobs;
          if (deleted < deps.batchSize) break;
        }
      }
    } catch (error) {
      failure = error;
    }
    report.projects = report.projects.filter(deletedAny);
    // Recorded even when the run failed part way: what was deleted is gone either way.
    await recordRun(db, report, { startedAt, failure, at: deps.now() });
    if (failure) throw failure;
    return true;
  });
  return ran ? report : { ...report, ran: false };
}

async function recordRun(
  ex: Executor,
  report: RetentionReport,
  run: { startedAt: number; failure: unknown; at: number },
): Promise<void> {
  const outcome = run.failure ? 'failed' : 'success';
  const error = run.failure
    ? { error: String((run.failure as Error).message ?? run.failure).slice(0, 500) }
    : {};
  for (const project of report.projects) {
    await recordAudit(
      ex,
      {
        actor: 'system',
        action: 'retention.delete',
        outcome,
        projectId: project.projectId,
        details: {
          retentionDays: project.retentionDays,
          before: project.before,
          rows: project.rows,
          blobs: project.blobs,
        },
      },
      run.at,
    );
  }
  await recordAudit(
    ex,
    {
      actor: 'system',
      action: 'retention.run',
      outcome,
      details: {
        startedAt: new Date(run.startedAt).toISOString(),
        rows: report.rows,
        blobs: report.blobs,
        projects: Object.fromEntries(
          report.projects.map((p) => [
            p.projectId,
            { retentionDays: p.retentionDays, before: p.before, rows: p.rows, blobs: p.blobs },
          ]),
        ),
        ...error,
      },
    },
    run.at,
  );
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
