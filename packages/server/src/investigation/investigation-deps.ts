/** What the investigation services (timeline, self-view) are given. */
import type { BlobStore } from '../blobs/blob-store.js';
import type { Db } from '../db/connect.js';

export interface InvestigationServiceDeps {
  db: Db;
  blobs: BlobStore;
  now: () => number;
}
