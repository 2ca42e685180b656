import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import { testJpeg } from '@seatwatch/testkit/server';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSharpBlankDetector,
  mayBeBlank,
} from '../../../src/anomalies/engine/screenshot-blankness.sharp.js';
import { createFilesystemBlobStore } from '../../../src/blobs/blob-store.filesystem.js';
import type { BlobStore } from '../../../src/blobs/blob-store.js';
import { createSharpThumbnailMaker } from '../../../src/blobs/thumbnails.sharp.js';

describe('blank screenshots', () => {
  let dir: string;
  let blobs: BlobStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seatwatch-blank-'));
    blobs = createFilesystemBlobStore(dir, new Uint8Array(randomBytes(32)));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** Stores an image as the gateway does, and describes it as the screenshots row does. */
  const store = async (image: Uint8Array, width: number, height: number) => {
    const sha256 = sha256Hex(image);
    await blobs.put(sha256, image);
    return { sha256, size: image.length, width, height };
  };

  it('finds a flat full-HD screen blank and a real picture not', async () => {
    const detect = createSharpBlankDetector(blobs, createSharpThumbnailMaker());
    const black = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#000000' } })
      .jpeg({ quality: 90 })
      .toBuffer();
    expect(await detect(await store(new Uint8Array(black), 1920, 1080))).toBe(true);
    expect(await detect(await store(await testJpeg(), 64, 48))).toBe(false);
    // Bytes gone (retention) or never readable: no answer either way.
    expect(await detect({ sha256: 'f'.repeat(64), size: 100, width: 10, height: 10 })).toBeNull();
    expect(await detect(await store(new Uint8Array(randomBytes(100)), 10, 10))).toBeNull();
  });

  it('does not decode a screenshot too large for its size to be one flat colour', () => {
    expect(mayBeBlank({ sha256: 'x', size: 12_506, width: 1920, height: 1080 })).toBe(true);
    expect(mayBeBlank({ sha256: 'x', size: 150_000, width: 1920, height: 1080 })).toBe(false);
    expect(mayBeBlank({ sha256: 'x', size: 50_000, width: 1280, height: 720 })).toBe(false);
    expect(mayBeBlank({ sha256: 'x', size: 50_000, width: 0, height: 0 })).toBe(true);
  });
});
