/** What the investigation routes (timeline, self-view) are given. */
import type { BlobStore } from '../blobs/blob-store.js';
import type { Db } from '../db/connect.js';

export interface InvestigationDeps {
  db: Db;
  blobs: BlobStore;
  now: () => number;
  /** The URL people open the dashboard at (self-view links), else the request's own origin. */
  publicUrl: string | undefined;
}
