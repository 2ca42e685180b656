/**
 * The orphan sweep (issue #15), on both databases and both stores (files and an S3 bucket on
 * s3rver): bytes noted by a put and referred to by no screenshot go once their note is older
 * than the grace period, and so do the temporary files of writes a crash cut short; bytes a committed screenshot refers to stay (their note is forgotten);
 * bytes younger than the grace stay (their frame may still commit); and on PostgreSQL a note a
 * put holds (its upsert not yet committed) is left to that put. Retention's removal of the bytes of
 * rows it deleted goes through the same lock: an agent sending the same bytes again keeps them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  createTestDatabase,
  DB_KINDS,
  enrollTestAgent,
  S3_TEST_CREDENTIALS,
  startS3Server,
  startTestServer,
  type TestDatabase,
  type TestS3Server,
  type TestServer,
} from '@seatwatch/testkit/server';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFilesystemBlobStore } from '../../src/blobs/blob-store.filesystem.js';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import { createS3BlobStore } from '../../src/blobs/blob-store.s3.js';
import { createJournaledBlobStore } from '../../src/blobs/journaled-blob-store.js';
import { ORPHAN_GRACE_MS, sweepOrphanBlobs } from '../../src/blobs/orphan-sweep.js';
import { blobUploads } from '../../src/db/schema/index.js';
import { deleteUnreferencedBlobs } from '../../src/retention/retention-job.js';

const BUCKET = 'seatwatch-sweep';
const STORES = ['filesystem', 's3'] as const;
const HOUR = 60 * 60 * 1000;

describe.each(DB_KINDS)('orphan blob sweep on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let s3: TestS3Server;
  let folder: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    s3 = await startS3Server({ buckets: [BUCKET] });
    folder = await mkdtemp(join(tmpdir(), 'seatwatch-sweep-'));
    // Migrating a fresh PGlite takes a while on a busy 2-core machine.
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
    await s3?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  const noteCount = async (sha256: string) => {
    const rows = await db.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(blobUploads)
      .where(eq(blobUploads.sha256, sha256));
    return rows[0]!.n;
  };

  it.each(STORES)(
    'in the %s store: removes old unreferenced bytes, keeps referenced and young ones',
    async (which) => {
      const key = randomBytes(32);
      const store: BlobStore =
        which === 'filesystem'
          ? createFilesystemBlobStore(join(folder, `blobs-${kind}`), key)
          : createS3BlobStore(
              { ...s3.settings(BUCKET), prefix: kind, credentials: S3_TEST_CREDENTIALS },
              key,
            );
      let clock = Date.UTC(2026, 11, 1, 8);
      const journaled = createJournaledBlobStore(store, db.database.db, () => clock);

      // A committed screenshot row refers to an image and its thumbnail.
      const agent = await enrollTestAgent(server);
      const image = randomBytes(3000);
      const thumbnail = randomBytes(500);
      const referenced = sha256Hex(image);
      await journaled.put(referenced, image);
      await journaled.put(sha256Hex(thumbnail), thumbnail);
      await db.database.db.execute(
        sql`insert into screenshots (project_id, agent_id, seat_id, seq, time, sha256, size, mime, width,
            height, monitor, trigger, thumb_sha256, received_at)
          select project_id, id, seat_id, 1, now(), ${referenced}, 3000, 'image/jpeg', 320, 200, 0,
            'interval', ${sha256Hex(thumbnail)}, now()
          from agents where id = ${agent.agentId}`,
      );

      // Bytes whose commit never came, noted at 08:00; and others noted at 13:00.
      const orphan = randomBytes(2000);
      const young = randomBytes(2000);
      await journaled.put(sha256Hex(orphan), orphan);
      clock += 5 * HOUR;
      await journaled.put(sha256Hex(young), young);
      for (const bytes of [image, orphan, young]) expect(await store.has(sha256Hex(bytes))).toBe(true);
      // The temporary files of two writes a crash cut short: one from 07:00, one from just now.
      const temporaries =
        which === 'filesystem'
          ? ['07', 'fresh'].map((tag) =>
              join(
                folder,
                `blobs-${kind}`,
                'ab',
                `.${'ab'.repeat(32)}.${tag === '07' ? 'a' : 'b'}${'0'.repeat(11)}.tmp`,
              ),
            )
          : [];
      if (which === 'filesystem') {
        await mkdir(join(folder, `blobs-${kind}`, 'ab'), { recursive: true });
        for (const path of temporaries) await writeFile(path, randomBytes(100));
        const seven = new Date(Date.UTC(2026, 11, 1, 7));
        await utimes(temporaries[0]!, seven, seven);
      }

      // 14:00 + a minute: the 08:00 notes are past the six-hour grace, the 13:00 one is not.
      clock += HOUR + 60_000;
      expect(ORPHAN_GRACE_MS).toBe(6 * HOUR);
      const report = await sweepOrphanBlobs({ db: db.database.db, blobs: store, now: () => clock });
      expect(report).toEqual({ removed: 1, referenced: 2, leftovers: which === 'filesystem' ? 1 : 0 });
      expect(await store.has(sha256Hex(orphan))).toBe(false);
      expect(await store.get(referenced)).toEqual(new Uint8Array(image));
      expect(await store.get(sha256Hex(thumbnail))).toEqual(new Uint8Array(thumbnail));
      expect(await store.has(sha256Hex(young))).toBe(true);
      expect(await noteCount(referenced)).toBe(0);
      expect(await noteCount(sha256Hex(thumbnail))).toBe(0);
      expect(await noteCount(sha256Hex(orphan))).toBe(0);
      expect(await noteCount(sha256Hex(young))).toBe(1);
      if (which === 'filesystem') {
        expect(existsSync(temporaries[0]!)).toBe(false);
        expect(existsSync(temporaries[1]!)).toBe(true);
      }

      // Nothing left to do until the young note ages; then it goes too.
      expect(await sweepOrphanBlobs({ db: db.database.db, blobs: store, now: () => clock })).toEqual({
        removed: 0,
        referenced: 0,
        leftovers: 0,
      });
      clock += 5 * HOUR;
      expect(await sweepOrphanBlobs({ db: db.database.db, blobs: store, now: () => clock })).toEqual({
        removed: 1,
        referenced: 0,
        leftovers: 0,
      });
      expect(await store.has(sha256Hex(young))).toBe(false);
      expect(await store.get(referenced)).toEqual(new Uint8Array(image));
      (store as { close?: () => void }).close?.();
    },
  );

  it('retention keeps the bytes of expired rows that a put of the same bytes noted within the grace', async () => {
    const store = createFilesystemBlobStore(join(folder, 'blobs-retention'), randomBytes(32));
    let clock = Date.UTC(2026, 11, 3, 8);
    const journaled = createJournaledBlobStore(store, db.database.db, () => clock);
    // Two screens stored long ago; their rows are past retention and were just deleted.
    const again = randomBytes(1000);
    const once = randomBytes(1000);
    await journaled.put(sha256Hex(again), again);
    await journaled.put(sha256Hex(once), once);
    await sweepOrphanBlobs({ db: db.database.db, blobs: store, now: () => clock + ORPHAN_GRACE_MS });
    clock += 60 * 24 * HOUR;
    // An agent captures the same screen again now: its put noted itself and wrote the bytes, and
    // its screenshot row has not committed yet.
    await journaled.put(sha256Hex(again), again);
    clock += 60_000;

    const removed = await deleteUnreferencedBlobs(
      db.database.db,
      store,
      [sha256Hex(again), sha256Hex(once)],
      clock,
    );
    expect(removed).toBe(1);
    expect(await store.get(sha256Hex(again))).toEqual(new Uint8Array(again));
    expect(await store.has(sha256Hex(once))).toBe(false);
    // The put's note stays for the sweep (its row may never commit); retention leaves no note of its own.
    expect(await noteCount(sha256Hex(again))).toBe(1);
    expect(await noteCount(sha256Hex(once))).toBe(0);
  });

  // A second session holding a row lock: PostgreSQL only (test/README.md, PGlite gaps).
  if (kind === 'postgres')
    it('leaves a note a put holds to that put, and sweeps the rest of its batch', async () => {
      const store = createFilesystemBlobStore(join(folder, 'blobs-held'), randomBytes(32));
      let clock = Date.UTC(2026, 11, 2, 8);
      const journaled = createJournaledBlobStore(store, db.database.db, () => clock);
      const bytes = randomBytes(1000);
      const sha256 = sha256Hex(bytes);
      await journaled.put(sha256, bytes);
      // An orphan as old, swept in the same batch (one transaction) as the held note.
      const orphan = randomBytes(1000);
      await journaled.put(sha256Hex(orphan), orphan);
      clock += ORPHAN_GRACE_MS + HOUR;
      // A put of the same hash beginning: its note's upsert holds the row, not yet committed.
      const put = await db.database.pool!.connect();
      try {
        await put.query('begin');
        await put.query('update blob_uploads set started_at = $2 where sha256 = $1', [
          sha256,
          new Date(clock),
        ]);
        const report = await sweepOrphanBlobs({ db: db.database.db, blobs: store, now: () => clock });
        expect(report).toEqual({ removed: 1, referenced: 0, leftovers: 0 });
        expect(await store.has(sha256)).toBe(true);
        expect(await store.has(sha256Hex(orphan))).toBe(false);
        expect(await noteCount(sha256Hex(orphan))).toBe(0);
        await put.query('commit');
      } finally {
        put.release();
      }
      // Committed, the note is young again: the bytes stay.
      expect(await sweepOrphanBlobs({ db: db.database.db, blobs: store, now: () => clock })).toEqual({
        removed: 0,
        referenced: 0,
        leftovers: 0,
      });
      expect(await store.has(sha256)).toBe(true);
    });
});
