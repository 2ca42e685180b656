/** The one query of thumbnails made on first view: recording the hash on the screenshot's row. */
import { and, eq, gte, isNull, lt } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { screenshots } from '../db/schema/index.js';

/**
 * Records a made thumbnail's hash, unless the row has one already (a racing view in another process)
 * or is gone (retention): then the bytes just stored are nobody's, and their note lets the orphan
 * sweep remove them. The time names the row's partition; it is read in milliseconds, and a row
 * written by SQL rather than by ingest may hold microseconds.
 */
export async function recordScreenshotThumbnail(
  ex: Executor,
  shot: { id: number; time: Date },
  thumbSha256: string,
): Promise<void> {
  await ex
    .update(screenshots)
    .set({ thumbSha256 })
    .where(
      and(
        eq(screenshots.id, shot.id),
        gte(screenshots.time, shot.time),
        lt(screenshots.time, new Date(shot.time.getTime() + 1)),
        isNull(screenshots.thumbSha256),
      ),
    );
}
