/**
 * The orphan sweep (issue #15): removes screenshot bytes that no row refers
 * to because the commit that was to refer to them never happened (the
 * process killed between storing the bytes and committing the row, and the
 * agent never sending the frame again). It works from the notes every put
 * makes first (journaled-blob-store.ts), never from a listing of the store:
 * names are keyed, and a bucket of millions of objects is not listed
 * hourly. A note younger than the grace period is left alone, since its
 * frame may still be on its way to a commit or be resent by its agent; an
 * older one whose hash a screenshot refers to is simply forgotten. The
 * temporary files of writes a crash cut short go too, past the same grace.
 * Each removal locks its note (removeUnreferencedBlobs, as retention does), so a put of the same
 * hash racing with it stores the bytes again rather than losing them, and
 * several processes sweeping at once take different notes.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/connect.js';
import type { BlobStore } from './blob-store.js';
import { forgetReferencedUploads, removeUnreferencedBlobs, staleUploads } from './blob-uploads.repository.js';

/** How old a note must be before its bytes may go: far beyond any commit and any agent's resend. */
export const ORPHAN_GRACE_MS = 6 * 60 * 60 * 1000;
const BATCH = 200;

export interface OrphanSweepDeps {
  db: Db;
  /** The store itself (not the journaled one: deleting makes no note). */
  blobs: BlobStore;
  now: () => number;
  graceMs?: number;
}

export interface OrphanSweepReport {
  /** Blobs whose bytes were removed: no screenshot referred to them. */
  removed: number;
  /** Notes forgotten because a screenshot refers to their blob. */
  referenced: number;
  /** Temporary files of writes a crash cut short (filesystem store). */
  leftovers: number;
}

export async function sweepOrphanBlobs(deps: OrphanSweepDeps): Promise<OrphanSweepReport> {
  const before = new Date(deps.now() - (deps.graceMs ?? ORPHAN_GRACE_MS));
  const report: OrphanSweepReport = { removed: 0, referenced: 0, leftovers: 0 };
  report.referenced = await forgetReferencedUploads(deps.db, before);
  const tried = new Set<string>();
  for (;;) {
    const candidates = (await staleUploads(deps.db, before, BATCH + tried.size)).filter(
      (sha256) => !tried.has(sha256),
    );
    if (candidates.length === 0) break;
    for (const sha256 of candidates) tried.add(sha256);
    const removed = await removeUnreferencedBlobs(deps.db, candidates, before, (sha256) =>
      deps.blobs.delete(sha256),
    );
    report.removed += removed.length;
  }
  report.leftovers = (await deps.blobs.removeLeftovers?.(before)) ?? 0;
  return report;
}

export interface OrphanSweepSchedule {
  stop(): Promise<void>;
}

/** Sweeps every `intervalMs`; logs what each sweep did when it did anything, and failures. */
export function scheduleOrphanSweep(
  deps: OrphanSweepDeps & { logger: FastifyBaseLogger },
  intervalMs: number,
): OrphanSweepSchedule {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = sweepOrphanBlobs(deps)
      .then((report) => {
        if (report.removed > 0 || report.referenced > 0 || report.leftovers > 0) {
          deps.logger.info({ orphanSweep: report }, 'orphan blob sweep finished');
        }
      })
      .catch((error: unknown) => deps.logger.error({ err: error }, 'orphan blob sweep failed'))
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
