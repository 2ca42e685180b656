/**
 * Thumbnails made on first view (issue #15), on both databases with the files store: the first
 * view makes one, stores its bytes through the journaled store (noted, so the orphan sweep can
 * find bytes whose row went) and records its hash on the row; later views read what is stored;
 * views at once make it once; a row given another's thumbnail meanwhile keeps it; an image that
 * is gone or unreadable has none.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  createTestDatabase,
  DB_KINDS,
  enrollTestAgent,
  startTestServer,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { and, eq, sql } from 'drizzle-orm';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesystemBlobStore } from '../../src/blobs/blob-store.filesystem.js';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import { createJournaledBlobStore } from '../../src/blobs/journaled-blob-store.js';
import { createThumbnailSource, type ThumbnailSubject } from '../../src/blobs/screenshot-thumbnails.js';
import { createSharpThumbnailMaker, type ThumbnailMaker } from '../../src/blobs/thumbnails.sharp.js';
import { blobUploads, screenshots } from '../../src/db/schema/index.js';

describe.each(DB_KINDS)('thumbnails made on first view, on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let folder: string;
  let store: BlobStore;
  let journaled: BlobStore;
  let agentId: string;
  let seq = 0;
  /** sharp's maker, counting what it is asked to make. */
  let made = 0;
  const sharpMaker = createSharpThumbnailMaker();
  const counting: ThumbnailMaker = (image) => {
    made++;
    return sharpMaker(image);
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    folder = await mkdtemp(join(tmpdir(), 'seatwatch-thumbs-'));
    store = createFilesystemBlobStore(join(folder, 'blobs'), randomBytes(32));
    journaled = createJournaledBlobStore(store, db.database.db, Date.now);
    agentId = (await enrollTestAgent(server)).agentId;
    // Migrating a fresh PGlite takes a while on a busy 2-core machine.
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  /** A screenshot row of these image bytes, stored as the gateway stores one (no thumbnail yet). */
  const screenshot = async (image: Uint8Array, storeBytes = true): Promise<ThumbnailSubject> => {
    const sha256 = sha256Hex(image);
    if (storeBytes) await journaled.put(sha256, image);
    seq++;
    await db.database.db.execute(
      sql`insert into screenshots (project_id, agent_id, seat_id, seq, time, sha256, size, mime, width,
          height, monitor, trigger, received_at)
        select project_id, id, seat_id, ${seq}, now(), ${sha256}, ${image.length}, 'image/jpeg', 64, 48, 0,
          'interval', now()
        from agents where id = ${agentId}`,
    );
    const [row] = await db.database.db
      .select()
      .from(screenshots)
      .where(and(eq(screenshots.agentId, agentId), eq(screenshots.seq, seq)));
    expect(row!.thumbSha256).toBeNull();
    return { id: row!.id, time: row!.time, sha256: row!.sha256, thumbSha256: row!.thumbSha256 };
  };

  const storedThumb = async (id: number) => {
    const [row] = await db.database.db
      .select({ thumb: screenshots.thumbSha256 })
      .from(screenshots)
      .where(eq(screenshots.id, id));
    return row!.thumb;
  };

  it('makes a thumbnail at the first view, records it, and reads it at the next', async () => {
    const thumbnails = createThumbnailSource({ db: db.database.db, blobs: journaled, make: counting });
    const shot = await screenshot(await testJpeg());
    made = 0;

    const first = await thumbnails(shot);
    expect(first).not.toBeNull();
    expect(made).toBe(1);
    expect(first!.sha256).toBe(sha256Hex(first!.bytes));
    const meta = await sharp(first!.bytes).metadata();
    expect(meta.format).toBe('webp');
    expect(await storedThumb(shot.id)).toBe(first!.sha256);
    expect(await store.get(first!.sha256)).toEqual(first!.bytes);
    // Its put was noted, as the gateway's are: bytes whose row goes before the hash is recorded are swept.
    const notes = await db.database.db
      .select()
      .from(blobUploads)
      .where(eq(blobUploads.sha256, first!.sha256));
    expect(notes).toHaveLength(1);

    // The row as a later request reads it: the stored bytes, nothing made.
    const again = await thumbnails({ ...shot, thumbSha256: first!.sha256 });
    expect(again).toEqual(first);
    expect(made).toBe(1);
  });

  it('makes one thumbnail for views that arrive together', async () => {
    const thumbnails = createThumbnailSource({ db: db.database.db, blobs: journaled, make: counting });
    const shot = await screenshot(await testJpeg());
    made = 0;
    const views = await Promise.all([thumbnails(shot), thumbnails(shot), thumbnails(shot)]);
    expect(made).toBe(1);
    expect(new Set(views.map((view) => view!.sha256)).size).toBe(1);
    expect(await storedThumb(shot.id)).toBe(views[0]!.sha256);
  });

  it('keeps the thumbnail another process recorded first', async () => {
    const shot = await screenshot(await testJpeg());
    const theirs = 'a'.repeat(64);
    await db.database.db.update(screenshots).set({ thumbSha256: theirs }).where(eq(screenshots.id, shot.id));
    // This process read the row before theirs was recorded.
    const thumbnails = createThumbnailSource({ db: db.database.db, blobs: journaled, make: counting });
    expect(await thumbnails(shot)).not.toBeNull();
    expect(await storedThumb(shot.id)).toBe(theirs);
  });

  it('has none for an image that is gone or unreadable, and records nothing', async () => {
    const thumbnails = createThumbnailSource({ db: db.database.db, blobs: journaled, make: counting });
    // An image of its own (not one the tests above stored), whose bytes never arrived.
    const gone = await screenshot(await testJpeg(37, 23), false);
    expect(await thumbnails(gone)).toBeNull();
    const garbage = await screenshot(new Uint8Array(randomBytes(700)));
    expect(await thumbnails(garbage)).toBeNull();
    expect(await storedThumb(gone.id)).toBeNull();
    expect(await storedThumb(garbage.id)).toBeNull();
    // A recorded thumbnail whose bytes are gone (retention raced the view) is none either.
    expect(await thumbnails({ ...gone, thumbSha256: 'b'.repeat(64) })).toBeNull();
  });
});
