/**
 * Whether a stored screenshot shows nothing: one flat colour (a blacked-out
 * or blocked screen).
 *
 * Most screenshots are not even decoded: a flat image compresses to almost
 * nothing (about 0.006 bytes per pixel as JPEG, whatever the quality; a
 * desktop takes ten times that), so only a screenshot small for its pixel
 * count is looked at, decoded at a thumbnail's width. That keeps the check off the ingest bill.
 */
import sharp from 'sharp';
import type { BlobStore } from '../../blobs/blob-store.js';
import { MAX_INPUT_PIXELS, THUMBNAIL_WIDTH } from '../../blobs/thumbnails.sharp.js';

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

export function createSharpBlankDetector(blobs: BlobStore): BlankDetector {
  return async (screenshot) => {
    if (!mayBeBlank(screenshot)) return false;
    const bytes = await blobs.get(screenshot.sha256);
    if (!bytes) return null;
    try {
      // Shrunk first (JPEG decodes at a fraction of its size): a flat image stays flat, and a 16 MiB
      // frame's picture is not decoded in full.
      const small = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
        .resize({ width: THUMBNAIL_WIDTH, withoutEnlargement: true })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const { channels } = await sharp(small.data, { raw: small.info }).stats();
      // Alpha does not show content; colour channels do.
      return channels.slice(0, 3).every((c) => c.stdev < FLAT_STDEV);
    } catch {
      return null;
    }
  };
}
