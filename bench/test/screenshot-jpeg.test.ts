import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeScreenshotJpeg, stampScreenshot } from '../load/screenshot-jpeg.js';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('screenshot blobs', () => {
  it('are real 1280x720 JPEGs of exactly the asked size, unique per stamp, still decodable', async () => {
    const base = await makeScreenshotJpeg(50 * 1024);
    expect(base.length).toBe(50 * 1024);
    const a = stampScreenshot(base, 'agent-1/7/1760000000000');
    const b = stampScreenshot(base, 'agent-1/8/1760000005000');
    expect(a.length).toBe(base.length);
    expect(new Set([sha(base), sha(a), sha(b)]).size).toBe(3);
    for (const image of [base, a, b]) {
      const metadata = await sharp(image).metadata();
      expect(metadata).toMatchObject({ format: 'jpeg', width: 1280, height: 720 });
      const thumbnail = await sharp(image, { failOn: 'error' }).resize({ width: 320 }).webp().toBuffer();
      expect(thumbnail.length).toBeGreaterThan(0);
    }
  });
});
