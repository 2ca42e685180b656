/** Dashboard thumbnails of screenshots, made with sharp (libvips). */
import sharp from 'sharp';

export interface Thumbnail {
  bytes: Uint8Array;
  mime: 'image/webp';
  width: number;
  height: number;
}

/** Makes a thumbnail, or null when the bytes are not an image sharp can read. */
export type ThumbnailMaker = (image: Uint8Array) => Promise<Thumbnail | null>;

export const THUMBNAIL_WIDTH = 320;
// A 16 MiB frame can hold a highly compressed image that decodes to gigabytes; refuse beyond 8K x 5K.
const MAX_INPUT_PIXELS = 7680 * 5120;

export function createSharpThumbnailMaker(width = THUMBNAIL_WIDTH): ThumbnailMaker {
  return async (image) => {
    try {
      const { data, info } = await sharp(image, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
        .resize({ width, withoutEnlargement: true })
        // effort 0: a third less CPU than the default (4) for about 10 % more bytes of a thumbnail; a
        // board's first look at its seats makes one for each (screenshot-thumbnails.ts).
        .webp({ quality: 60, effort: 0 })
        .toBuffer({ resolveWithObject: true });
      return {
        bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        mime: 'image/webp',
        width: info.width,
        height: info.height,
      };
    } catch {
      return null;
    }
  };
}
