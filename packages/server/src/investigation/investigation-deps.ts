/** What the investigation services (timeline, self-view) are given. */
import type { AccessRecorder } from '../access-records/access-recorder.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { ThumbnailSource } from '../blobs/screenshot-thumbnails.js';
import type { Db } from '../db/connect.js';

export interface InvestigationServiceDeps {
  db: Db;
  blobs: BlobStore;
  /** Thumbnails of screenshots, made on first view. */
  thumbnails: ThumbnailSource;
  /** Whose data a look showed, and the looks at one operator's data (the self-view). */
  access: AccessRecorder;
  now: () => number;
}
