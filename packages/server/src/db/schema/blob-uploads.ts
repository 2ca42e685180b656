/**
 * Blobs being stored (issue #15): a note per hash, made before the bytes go
 * to the blob store, so bytes whose screenshot row never committed can be
 * found and swept (blobs/orphan-sweep.ts) without listing the whole store.
 */
import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns.js';

export const blobUploads = pgTable(
  'blob_uploads',
  {
    sha256: text('sha256').primaryKey(),
    /** The last time a put of this hash began; a put of the same hash moves it. */
    startedAt: timestampColumn('started_at').notNull(),
  },
  (t) => [index('blob_uploads_started_at_idx').on(t.startedAt)],
);
