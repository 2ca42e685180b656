/**
 * A BlobStore that notes every put in the database before the bytes go
 * to the store (issue #15). Bytes are stored before the screenshot row that
 * refers to them commits, so a commit that never happens (the process
 * killed, the frame never sent again) would leave bytes nobody refers to,
 * which the store's keyed names make impossible to tell apart by listing.
 * The note makes them findable: the orphan sweep (orphan-sweep.ts) removes
 * the bytes of old notes no screenshot refers to.
 */
import type { Db } from '../db/connect.js';
import type { BlobStore } from './blob-store.js';
import { noteBlobUpload } from './blob-uploads.repository.js';

export function createJournaledBlobStore(store: BlobStore, db: Db, now: () => number): BlobStore {
  return {
    async put(sha256, bytes) {
      await noteBlobUpload(db, sha256, new Date(now()));
      await store.put(sha256, bytes);
    },
    get: (sha256) => store.get(sha256),
    has: (sha256) => store.has(sha256),
    delete: (sha256) => store.delete(sha256),
    ...(store.check ? { check: () => store.check!() } : {}),
    ...(store.close ? { close: () => store.close!() } : {}),
    ...(store.removeLeftovers ? { removeLeftovers: (before: Date) => store.removeLeftovers!(before) } : {}),
  };
}
