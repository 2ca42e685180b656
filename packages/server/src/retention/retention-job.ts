/**
 * The retention job: for each project, deletes events, activity spans,
 * device events, signed frames and screenshots (rows, then bytes no row refers to) older
 * than the project's retention, skipping anything under legal hold. On
 * PostgreSQL an advisory lock lets one process run it at a time. Every run is in the audit log
 * (issue #11): one `retention.run` entry with what it deleted per table and
 * project, and a `retention.delete` entry in each project that lost rows,
 * also when the run fails part way (then with outcome `failed`).
 *
 * The telemetry tables are partitioned by day (issue #15, migration 0015),
 * so retention counts in whole UTC days: a row goes with the first run after
 * its whole day is older than the retention (so it is kept at most one day
 * longer, never shorter: the installation's minimum retention is a floor).
 * A day's partition that is past every project's retention is dropped whole,
 * its held rows kept (moved to the DEFAULT partition). Row by row, in
 * batches so that no transaction holds many locks, go only what a drop
 * cannot take: the days of a project with a shorter retention than another
 * project's, rows in DEFAULT partitions (times outside the made days, held
 * rows released since), and signed frames (not partitioned).
 */
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/audit-log.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { removeUnreferencedBlobs } from '../blobs/blob-uploads.repository.js';
import { ORPHAN_GRACE_MS } from '../blobs/orphan-sweep.js';
import { refreshAllCaseHolds } from '../cases/legal-hold.js';
import type { Database, Db, Executor } from '../db/connect.js';
import { retentionCutoffs } from '../domain/retention.js';
import { makeComingPartitions, startOfUtcDay } from '../partitions/partition-maintenance.js';
import {
  dropPartition,
  type PartitionedTable,
  partitionsEndingBy,
} from '../partitions/partitions.repository.js';
import {
  deleteExpiredRows,
  deleteExpiredScreenshots,
  projectRetentions,
  projectsWithoutRetention,
  type RetainedTable,
  underRetentionLock,
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
  /** The daily partitions dropped whole (their rows are counted in `rows`). */
  partitions: string[];
}

const TABLES: RetainedTable[] = ['events', 'activity_spans', 'device_events', 'signed_frames'];

/** Hashes a retention run hands to one transaction of removeUnreferencedBlobs. */
const BLOB_BATCH = 500;

/**
 * Of these blob hashes (screenshots and thumbnails whose rows were just
 * deleted), deletes the bytes no screenshot row refers to any more; returns how many.
 * Each hash is removed under its upload note's lock (removeUnreferencedBlobs): an agent may be
 * sending the same bytes again right now (the same screen, captured again), and its put must
 * not lose them to this deletion. Puts that began within ORPHAN_GRACE_MS keep their bytes.
 */
export async function deleteUnreferencedBlobs(
  db: Db,
  blobs: BlobStore,
  hashes: readonly string[],
  now: number,
): Promise<number> {
  const before = new Date(now - ORPHAN_GRACE_MS);
  // A hash can be named by many rows (the same screen captured again, an image and its thumbnail).
  const unique = [...new Set(hashes)];
  let deleted = 0;
  for (let i = 0; i < unique.length; i += BLOB_BATCH) {
    const batch = unique.slice(i, i + BLOB_BATCH);
    deleted += (await removeUnreferencedBlobs(db, batch, before, (sha256) => blobs.delete(sha256))).length;
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
  const report: RetentionReport = { ran: true, rows: noRows(), blobs: 0, projects: [], partitions: [] };
  const { db } = deps.database;
  const startedAt = deps.now();
  const ran = await underRetentionLock(deps.database, async () => {
    let failure: unknown = null;
    try {
      // Rows that reached a held case's time range after the hold was placed get their flag now (issue #7).
      await refreshAllCaseHolds(db);
      // The periodic job also makes the coming days' partitions (partitions/ does it at start too).
      await makeComingPartitions(db, deps.now());
      const retentions = await projectRetentions(db);
      const days = new Map(retentions.map((r) => [r.projectId, r.retentionDays]));
      const cutoffs = retentionCutoffs(retentions, deps.now()).map(({ projectId, before }) => ({
        projectId,
        before: new Date(startOfUtcDay(before)),
      }));
      const projects = new Map<string, ProjectDeletions>();
      const projectEntry = (projectId: string, before: Date) => {
        let project = projects.get(projectId);
        if (!project) {
          project = {
            projectId,
            retentionDays: days.get(projectId) ?? 0,
            before: before.toISOString(),
            rows: noRows(),
            blobs: 0,
          };
          projects.set(projectId, project);
          report.projects.push(project);
        }
        return project;
      };
      for (const { projectId, before } of cutoffs) projectEntry(projectId, before);

      // Whole days past every project's retention go as partitions; none while a project has no retention.
      const dropBefore =
        cutoffs.length > 0 && (await projectsWithoutRetention(db)) === 0
          ? new Date(Math.min(...cutoffs.map((c) => c.before.getTime())))
          : null;
      for (const partition of dropBefore ? await partitionsEndingBy(db, dropBefore) : []) {
        const dropped = await dropPartition(db, partition.name, dropBefore!);
        report.partitions.push(partition.name);
        for (const { projectId, deleted, hashes } of dropped) {
          const project = projectEntry(projectId, dropBefore!);
          const table: PartitionedTable = partition.table;
          project.rows[table] += deleted;
          report.rows[table] += deleted;
          for (let i = 0; i < hashes.length; i += deps.batchSize) {
            const blobs = await deleteUnreferencedBlobs(
              db,
              deps.blobs,
              hashes.slice(i, i + deps.batchSize),
              deps.now(),
            );
            project.blobs += blobs;
            report.blobs += blobs;
          }
        }
      }

      for (const { projectId, before: cutoff } of cutoffs) {
        const project = projectEntry(projectId, cutoff);
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
          const blobs = await deleteUnreferencedBlobs(db, deps.blobs, hashes, deps.now());
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
        partitions: report.partitions,
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

/**
 * Runs retention every `intervalMs` (first run one interval after start); stop() waits for a run in progress.
 * `claim` says whether this turn is this process's to run: several processes on one database run the job
 * once per interval between them, not once each (issue #15; app.ts claims in the database).
 */
export function scheduleRetention(
  deps: RetentionDeps,
  intervalMs: number,
  claim: () => Promise<boolean> = async () => true,
): RetentionSchedule {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = claim()
      .then((mine) => (mine ? runRetention(deps) : null))
      .then((report) => {
        if (report?.ran) deps.logger.info({ retention: report }, 'retention run finished');
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
