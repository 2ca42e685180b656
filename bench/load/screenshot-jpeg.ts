/**
 * Screenshot blobs for the load: a real 1280x720 JPEG of a desktop-like
 * picture (so the server's thumbnail step decodes and resizes a real
 * image), padded to an exact size with a JPEG comment segment. Each frame
 * writes a unique stamp into that comment, so every blob has its own
 * SHA-256 and the content-addressed store cannot deduplicate the load away.
 */
import sharp from 'sharp';
import { seededRandom } from './seat-workload.js';

const SOI = 0xffd8;
const COM = 0xfffe;
/** Bytes at the start of the comment that stampScreenshot overwrites. */
export const STAMP_BYTES = 32;
const COMMENT_OVERHEAD = 4; // marker + length

export const SCREENSHOT_WIDTH = 1280;
export const SCREENSHOT_HEIGHT = 720;

/** Window-like blocks, lines of "text" and a little noise on a light background. */
function desktopPixels(width: number, height: number, seed: number): Buffer {
  const random = seededRandom(seed);
  const pixels = Buffer.alloc(width * height * 3, 236);
  const fill = (x0: number, y0: number, w: number, h: number, rgb: [number, number, number]) => {
    for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) {
      for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) {
        const i = (y * width + x) * 3;
        pixels[i] = rgb[0];
        pixels[i + 1] = rgb[1];
        pixels[i + 2] = rgb[2];
      }
    }
  };
  fill(0, height - 40, width, 40, [32, 40, 56]); // task bar
  for (let w = 0; w < 4; w++) {
    const x = Math.floor(random() * width * 0.5);
    const y = Math.floor(random() * height * 0.4);
    const ww = 400 + Math.floor(random() * 500);
    const wh = 250 + Math.floor(random() * 300);
    fill(x, y, ww, wh, [252, 252, 252]);
    fill(x, y, ww, 28, [40 + w * 30, 90, 160]); // title bar
    for (let line = y + 40; line < y + wh - 12; line += 14) {
      let cx = x + 12;
      while (cx < x + ww - 40) {
        const word = 10 + Math.floor(random() * 50);
        if (random() < 0.9) fill(cx, line, word, 8, [60, 60, 70]);
        cx += word + 6;
      }
    }
  }
  return pixels;
}

/** A JPEG of exactly `targetBytes` (the image is encoded smaller, then padded with a comment). */
export async function makeScreenshotJpeg(targetBytes: number, seed = 1): Promise<Uint8Array> {
  const raw = desktopPixels(SCREENSHOT_WIDTH, SCREENSHOT_HEIGHT, seed);
  const budget = targetBytes - COMMENT_OVERHEAD - STAMP_BYTES;
  let best: Buffer | null = null;
  for (let quality = 90; quality >= 10; quality -= 5) {
    const jpeg = await sharp(raw, {
      raw: { width: SCREENSHOT_WIDTH, height: SCREENSHOT_HEIGHT, channels: 3 },
    })
      .jpeg({ quality, mozjpeg: false })
      .toBuffer();
    if (jpeg.length <= budget) {
      best = jpeg;
      break;
    }
  }
  if (!best) throw new Error(`cannot encode the test screenshot under ${targetBytes} bytes`);
  const commentData = targetBytes - best.length - COMMENT_OVERHEAD;
  if (commentData > 0xffff - 2) throw new Error(`screenshot padding too large (${commentData} bytes)`);
  const out = new Uint8Array(targetBytes);
  const view = new DataView(out.buffer);
  view.setUint16(0, SOI);
  view.setUint16(2, COM);
  view.setUint16(4, commentData + 2);
  out.fill(0x20, 6, 6 + commentData);
  out.set(best.subarray(2), 6 + commentData);
  return out;
}

/** A copy of `jpeg` (from makeScreenshotJpeg) whose comment starts with `stamp`. */
export function stampScreenshot(jpeg: Uint8Array, stamp: string): Uint8Array {
  const copy = new Uint8Array(jpeg);
  const bytes = new TextEncoder().encode(stamp.padEnd(STAMP_BYTES).slice(0, STAMP_BYTES));
  copy.set(bytes, 6);
  return copy;
}
