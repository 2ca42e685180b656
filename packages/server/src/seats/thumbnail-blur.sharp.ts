/**
 * Blurred thumbnails for supervisors, made on the server (the clear bytes
 * never reach their browser) with sharp. Thumbnails are immutable under
 * their hash, so a small in-memory cache saves re-blurring the same tile.
 */
import sharp from 'sharp';

export type ThumbnailBlur = (sha256: string, thumbnail: Uint8Array) => Promise<Uint8Array>;

const SIGMA = 12;

export function createSharpThumbnailBlur(cacheEntries = 512): ThumbnailBlur {
  const cache = new Map<string, Uint8Array>();
  return async (sha256, thumbnail) => {
    const hit = cache.get(sha256);
    if (hit) {
      // Refresh its place: the Map keeps insertion order, so the oldest is evicted first.
      cache.delete(sha256);
      cache.set(sha256, hit);
      return hit;
    }
    const data = await sharp(thumbnail).blur(SIGMA).webp({ quality: 50 }).toBuffer();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    cache.set(sha256, bytes);
    if (cache.size > cacheEntries) cache.delete(cache.keys().next().value!);
    return bytes;
  };
}
