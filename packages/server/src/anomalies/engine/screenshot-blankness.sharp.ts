/**
 * Whether a stored screenshot shows nothing: one flat colour (a blacked-out
 * or blocked screen). Judged on the thumbnail the gateway already made,
 * which is small, so the check costs little per screenshot.
 */
import sharp from 'sharp';
import type { BlobStore } from '../../blobs/blob-store.js';

/** Standard deviation per channel below which an image counts as one flat colour (0–255 scale). */
const FLAT_STDEV = 3;

export type BlankDetector = (thumbSha256: string | null) => Promise<boolean | null>;

export function createSharpBlankDetector(blobs: BlobStore): BlankDetector {
  return async (thumbSha256) => {
    if (thumbSha256 === null) return null;
    const bytes = await blobs.get(thumbSha256);
    if (!bytes) return null;
    try {
      const { channels } = await sharp(bytes).stats();
      // Alpha does not show content; colour channels do.
      return channels.slice(0, 3).every((c) => c.stdev < FLAT_STDEV);
    } catch {
      return null;
    }
  };
}
