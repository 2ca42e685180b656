/**
 * Every query of the blob-upload notes (issue #15): the note a put makes
 * before it stores bytes, and what the orphan sweep reads and removes.
 */
import { and, asc, eq, lt, or, sql } from 'drizzle-orm';
import { type Db, type Executor, queryRows } from '../db/connect.js';
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
 * Removes the bytes of `sha256` unless a screenshot refers to them or a put of them may be under
 * way, in one transaction that holds the hash's note locked: the orphan sweep (for an old note)
 * and retention (for hashes whose rows it just deleted, which usually have no note: one is made)
 * both come here. A put of the same hash notes itself first (noteBlobUpload), so it waits for
 * this transaction and then stores the bytes again; one that noted itself at or after `before`
 * keeps them. A note another transaction holds is skipped, so several processes sweeping at once
 * take different hashes. `remove` deletes the bytes. True when removed.
 */
export async function removeUnreferencedBlob(
  db: Db,
  sha256: string,
  before: Date,
  remove: () => Promise<void>,
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [existing] = await tx
      .select({ startedAt: blobUploads.startedAt })
      .from(blobUploads)
      .where(eq(blobUploads.sha256, sha256))
      .for('update', { skipLocked: true });
    let startedAt = existing?.startedAt;
    const made = !existing;
    if (made) {
      // A note another transaction holds (a put noting itself, another sweep) is there to a plain
      // read: this call leaves the hash alone rather than wait for it.
      const [held] = await tx.select({ one: sql`1` }).from(blobUploads).where(eq(blobUploads.sha256, sha256));
      if (held) return false;
      const [note] = await tx
        .insert(blobUploads)
        .values({ sha256, startedAt: new Date(0) })
        .onConflictDoNothing()
        .returning({ startedAt: blobUploads.startedAt });
      if (!note) return false;
      startedAt = note.startedAt;
    }
    // Two lookups, not one with `or`: each walks its own index in every day's partition, where an
    // `or` of two columns may read them all.
    const [{ used } = { used: true }] = await queryRows<{ used: boolean }>(
      tx,
      sql`select exists (select 1 from screenshots where sha256 = ${sha256})
              or exists (select 1 from screenshots where thumb_sha256 = ${sha256}) as used`,
    );
    if (startedAt! >= before || used) {
      // Only a note this call made goes: a put's own note stays for the sweep.
      if (made) await tx.delete(blobUploads).where(eq(blobUploads.sha256, sha256));
      return false;
    }
    await remove();
    await tx.delete(blobUploads).where(eq(blobUploads.sha256, sha256));
    return true;
  });
}
