/**
 * Every query of the blob-upload notes (issue #15): the note a put makes
 * before it stores bytes, and what the orphan sweep reads and removes.
 */
import { and, asc, eq, inArray, lt, or, sql } from 'drizzle-orm';
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
 * Removes the bytes of each hash that no screenshot refers to and no put may be sending, in one
 * transaction that holds the hashes' upload notes locked: the orphan sweep (for old notes) and
 * retention (for hashes whose rows it just deleted, which usually have no note: one is made)
 * both come here. A put of the same hash notes itself first (noteBlobUpload), so it waits for
 * this transaction and then stores the bytes again; one that noted itself at or after `before`
 * keeps them. A note another transaction holds is skipped, so several processes sweeping at once
 * take different hashes. `remove` deletes one hash's bytes. Returns the hashes removed.
 *
 * Set-wise, a batch at a time (issue #15): one transaction per hash was about eight round trips
 * and a plan over every day's partition each, and a retention run of a 1,000-seat day (192,000
 * hashes) spent about 12 minutes on them.
 */
export async function removeUnreferencedBlobs(
  db: Db,
  hashes: readonly string[],
  before: Date,
  remove: (sha256: string) => Promise<void>,
): Promise<string[]> {
  const wanted = [...new Set(hashes)];
  if (wanted.length === 0) return [];
  return db.transaction(async (tx) => {
    const notes = new Map<string, Date>();
    for (const note of await tx
      .select({ sha256: blobUploads.sha256, startedAt: blobUploads.startedAt })
      .from(blobUploads)
      .where(inArray(blobUploads.sha256, wanted))
      .for('update', { skipLocked: true })) {
      notes.set(note.sha256, note.startedAt);
    }
    // A note another transaction holds is there to a plain read: those hashes are left alone
    // rather than waited for. The others get a note of this transaction's.
    const unnoted = wanted.filter((sha256) => !notes.has(sha256));
    const held = new Set(
      unnoted.length === 0
        ? []
        : (
            await tx
              .select({ sha256: blobUploads.sha256 })
              .from(blobUploads)
              .where(inArray(blobUploads.sha256, unnoted))
          ).map((row) => row.sha256),
    );
    const toNote = unnoted.filter((sha256) => !held.has(sha256));
    const made = new Set<string>();
    if (toNote.length > 0) {
      for (const note of await tx
        .insert(blobUploads)
        .values(toNote.map((sha256) => ({ sha256, startedAt: new Date(0) })))
        .onConflictDoNothing()
        .returning({ sha256: blobUploads.sha256, startedAt: blobUploads.startedAt })) {
        notes.set(note.sha256, note.startedAt);
        made.add(note.sha256);
      }
    }
    if (notes.size === 0) return [];
    // Two lookups, not one with `or`: each walks its own index in every day's partition, where an
    // `or` of two columns may read them all.
    const candidates = sql.join(
      [...notes.keys()].map((sha256) => sql`(${sha256})`),
      sql`, `,
    );
    const used = new Set(
      (
        await queryRows<{ sha256: string }>(
          tx,
          sql`select h.sha256 from (values ${candidates}) as h(sha256)
              where exists (select 1 from screenshots s where s.sha256 = h.sha256)
                 or exists (select 1 from screenshots s where s.thumb_sha256 = h.sha256)`,
        )
      ).map((row) => row.sha256),
    );
    const removed: string[] = [];
    const forget: string[] = [];
    for (const [sha256, startedAt] of notes) {
      if (startedAt >= before || used.has(sha256)) {
        // Only a note this call made goes: a put's own note stays for the sweep.
        if (made.has(sha256)) forget.push(sha256);
        continue;
      }
      await remove(sha256);
      removed.push(sha256);
      forget.push(sha256);
    }
    if (forget.length > 0) await tx.delete(blobUploads).where(inArray(blobUploads.sha256, forget));
    return removed;
  });
}
