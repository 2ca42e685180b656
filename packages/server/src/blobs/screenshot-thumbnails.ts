/**
 * Screenshot thumbnails, made when first viewed (issue #15). Making one at
 * ingest cost about 6 ms of CPU per screenshot (decoding a 1280x720 JPEG and
 * encoding WebP), about a sixth of the collector's CPU per frame at 5,000 seats,
 * for pictures nobody looks at: the board shows each visible seat's latest,
 * a timeline the few an investigator opens. The first view makes it, stores
 * its bytes (a noted put, as at ingest, so bytes whose row is gone are swept)
 * and records its hash on the row; later views read the stored bytes.
 */
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import type { Db } from '../db/connect.js';
import type { BlobStore } from './blob-store.js';
import { recordScreenshotThumbnail } from './screenshot-thumbnails.repository.js';
import type { ThumbnailMaker } from './thumbnails.sharp.js';

/** The screenshot a thumbnail is asked of, as its row holds it. */
export interface ThumbnailSubject {
  readonly id: number;
  readonly time: Date;
  readonly sha256: string;
  readonly thumbSha256: string | null;
}

export interface StoredThumbnail {
  readonly sha256: string;
  readonly bytes: Uint8Array;
}

/** The thumbnail of a screenshot, made now if it has none; null when the image is gone or unreadable. */
export type ThumbnailSource = (shot: ThumbnailSubject) => Promise<StoredThumbnail | null>;

export interface ThumbnailSourceDeps {
  db: Db;
  /** The journaled store: a put is noted before its bytes go in. */
  blobs: BlobStore;
  make: ThumbnailMaker;
}

export function createThumbnailSource(deps: ThumbnailSourceDeps): ThumbnailSource {
  // A board and a seat page opened together ask for the same new thumbnail: one making serves both.
  const making = new Map<number, Promise<StoredThumbnail | null>>();

  async function make(shot: ThumbnailSubject): Promise<StoredThumbnail | null> {
    const image = await deps.blobs.get(shot.sha256);
    if (!image) return null;
    const thumbnail = await deps.make(image);
    if (!thumbnail) return null;
    const sha256 = sha256Hex(thumbnail.bytes);
    await deps.blobs.put(sha256, thumbnail.bytes);
    // Another process may have recorded its own meanwhile; either refers to bytes that are stored.
    await recordScreenshotThumbnail(deps.db, shot, sha256);
    return { sha256, bytes: thumbnail.bytes };
  }

  return async (shot) => {
    if (shot.thumbSha256 !== null) {
      const bytes = await deps.blobs.get(shot.thumbSha256);
      return bytes ? { sha256: shot.thumbSha256, bytes } : null;
    }
    let pending = making.get(shot.id);
    if (!pending) {
      pending = make(shot).finally(() => making.delete(shot.id));
      making.set(shot.id, pending);
    }
    return pending;
  };
}
