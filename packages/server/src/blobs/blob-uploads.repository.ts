/**
 * Every query of the blob-upload notes (issue #15): the note a put makes
 * before it stores bytes, and what the orphan sweep reads and removes.
 */
import { and, asc, eq, inArray, lt, notExists, or, sql } from 'drizzle-orm';
import type { Db, Executor } from '../db/connect.js';
import { blobUploads } from '../db/schema/blob-uploads.js';
import { screenshots } from '../db/schema/index.js';

/** Notes that a put of this hash begins now (moving an older note's time, so no sweep takes it). */
export async function noteBlobUpload(ex: Executor, sha256: string, at: Date): Promise<void> {
  await ex
    .insert(blobUploads)
    .values({ sha256, startedAt: at })
    .onConflictDoUpdate({ target: blobUploads.sha256, set: { startedAt: sql`excluded.started_at` } });
}

const referenced = (ex: Executor) =>
  ex
    .select({ one: sql`1` })
    .from(screenshots)
    .where(or(eq(screenshots.sha256, blobUploads.sha256), eq(screenshots.thumbSha256, blobUploads.sha256)));

/** Forgets the notes older than `before` whose hash a screenshot refers to: those bytes are in use. */
export async function forgetReferencedUploads(ex: Executor, before: Date): Promise<number> {
  const gone = await ex
    .delete(blobUploads)
    .where(and(lt(blobUploads.startedAt, before), sql`exists (${referenced(ex)})`))
    .returning({ sha256: blobUploads.sha256 });
  return gone.length;
}

/** Up to `limit` hashes noted before `before`, oldest first: the candidates for the sweep. */
export async function staleUploads(ex: Executor, before: Date, limit: number): Promise<string[]> {
  const rows = await ex
    .select({ sha256: blobUploads.sha256 })
    .from(blobUploads)
    .where(lt(blobUploads.startedAt, before))
    .orderBy(asc(blobUploads.startedAt))
    .limit(limit);
  return rows.map((row) => row.sha256);
}

/**
 * In one transaction: locks the note of `sha256` if it is still older than `before`, no
 * screenshot refers to its hash and no put holds it, runs `remove` (the bytes go) and deletes the
 * note. A put of the same hash that begins meanwhile waits for the lock and then stores the bytes
 * again; one that began first moved the note's time, so it is not taken. True when removed.
 */
export async function removeOrphanUpload(
  db: Db,
  sha256: string,
  before: Date,
  remove: () => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const locked = await tx
      .select({ sha256: blobUploads.sha256 })
      .from(blobUploads)
      .where(
        and(
          inArray(blobUploads.sha256, [sha256]),
          lt(blobUploads.startedAt, before),
          notExists(referenced(tx)),
        ),
      )
      .for('update', { skipLocked: true });
    if (locked.length === 0) return false;
    await remove();
    await tx.delete(blobUploads).where(eq(blobUploads.sha256, sha256));
    return true;
  });
}
