/**
 * Whether a stored screenshot shows nothing: one flat colour (a blacked-out
 * or blocked screen).
 *
 * Most screenshots are not even decoded: a flat image compresses to almost
 * nothing (about 0.006 bytes per pixel as JPEG, whatever the quality; a
 * desktop takes ten times that), so only a screenshot small for its pixel
 * count is looked at, through its thumbnail (made here, as the dashboard's are, with the same
 * limits on what is decoded). That keeps the check off the ingest bill.
 */
import sharp from 'sharp';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { ThumbnailMaker } from '../../blobs/thumbnails.sharp.js';

/** Standard deviation per channel below which an image counts as one flat colour (0–255 scale). */
const FLAT_STDEV = 3;
/** Larger than this (headers, plus bytes per pixel) and the picture has content. */
const MAX_FLAT_BYTES_PER_PIXEL = 0.02;
const MAX_FLAT_HEADER_BYTES = 1024;

export interface StoredScreenshot {
  readonly sha256: string;
  readonly size: number;
  readonly width: number;
  readonly height: number;
}

export type BlankDetector = (screenshot: StoredScreenshot) => Promise<boolean | null>;

export function mayBeBlank(screenshot: StoredScreenshot): boolean {
  const pixels = screenshot.width * screenshot.height;
  return pixels === 0 || screenshot.size <= MAX_FLAT_HEADER_BYTES + MAX_FLAT_BYTES_PER_PIXEL * pixels;
}

export function createSharpBlankDetector(blobs: BlobStore, thumbnails: ThumbnailMaker): BlankDetector {
  return async (screenshot) => {
    if (!mayBeBlank(screenshot)) return false;
    const bytes = await blobs.get(screenshot.sha256);
    if (!bytes) return null;
    const thumbnail = await thumbnails(bytes);
    if (!thumbnail) return null;
    try {
      const { channels } = await sharp(thumbnail.bytes).stats();
      // Alpha does not show content; colour channels do.
      return channels.slice(0, 3).every((c) => c.stdev < FLAT_STDEV);
    } catch {
      return null;
    }
  };
}
