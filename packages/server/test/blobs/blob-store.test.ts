/** The filesystem blob store: content-addressed, AES-256-GCM at rest, tamper-evident, key files owner-only. */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import { testJpeg } from '@seatwatch/testkit/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobIntegrityError, createFilesystemBlobStore } from '../../src/blobs/blob-store.filesystem.js';
import { blobNames } from '../../src/blobs/blob-store.js';
import { createSharpThumbnailMaker } from '../../src/blobs/thumbnails.sharp.js';
import { configWith } from '../../src/config.js';
import { loadSecrets } from '../../src/secrets/secret-files.js';

describe('filesystem blob store', () => {
  let root: string;
  const key = randomBytes(32);
  const pathOf = (sha256: string, blobKey: Uint8Array = key) =>
    join(root, ...blobNames(blobKey).keyed(sha256));
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'seatwatch-blobs-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips bytes under their hash and keeps no plaintext on disk', async () => {
    const store = createFilesystemBlobStore(root, key);
    const bytes = new Uint8Array(Buffer.from('customer card number 4111 1111 1111 1111'));
    const hash = sha256Hex(bytes);
    await store.put(hash, bytes);
    await store.put(hash, bytes);
    expect(await store.has(hash)).toBe(true);
    expect(await store.get(hash)).toEqual(bytes);
    const file = await readFile(pathOf(hash));
    expect(file.includes(Buffer.from('4111'))).toBe(false);
    expect(file.subarray(0, 4).toString()).toBe('SWB1');
    expect((await stat(pathOf(hash))).mode & 0o777).toBe(0o600);
    const [folder, name] = blobNames(key).keyed(hash);
    expect(await readdir(root)).toEqual([folder]);
    expect(await readdir(join(root, folder))).toEqual([name]);
    expect(name).not.toBe(hash);

    await store.delete(hash);
    expect(await store.get(hash)).toBeNull();
    await store.delete(hash);
  });

  it('refuses a file that was altered, moved to another hash, or read with another key', async () => {
    const store = createFilesystemBlobStore(root, key);
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5, 6]);
    const [ha, hb] = [sha256Hex(a), sha256Hex(b)];
    await store.put(ha, a);
    await store.put(hb, b);

    const pathA = pathOf(ha);
    const pathB = pathOf(hb);
    await writeFile(pathB, await readFile(pathA));
    await expect(store.get(hb)).rejects.toBeInstanceOf(BlobIntegrityError);

    const altered = await readFile(pathA);
    altered[altered.length - 1]! ^= 1;
    await writeFile(pathA, altered);
    await expect(store.get(ha)).rejects.toBeInstanceOf(BlobIntegrityError);

    const c = new Uint8Array([7]);
    await store.put(sha256Hex(c), c);
    const otherKey = randomBytes(32);
    await mkdir(dirname(pathOf(sha256Hex(c), otherKey)), { recursive: true });
    await writeFile(pathOf(sha256Hex(c), otherKey), await readFile(pathOf(sha256Hex(c))));
    await expect(createFilesystemBlobStore(root, otherKey).get(sha256Hex(c))).rejects.toBeInstanceOf(
      BlobIntegrityError,
    );
  });

  it('refuses names that are not SHA-256 hashes', async () => {
    const store = createFilesystemBlobStore(root, key);
    await expect(store.put('../../etc/passwd', new Uint8Array(1))).rejects.toThrow(RangeError);
  });
});

describe('secret files', () => {
  it('generates the admin token, server key and blob key once, owner-only, and reuses them', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-secrets-'));
    try {
      const config = configWith({ dataDir });
      const first = loadSecrets(config);
      expect(first.created.map((p) => p.slice(dataDir.length + 1)).sort()).toEqual([
        'admin-token',
        'blob-key',
        'server-key',
      ]);
      for (const name of ['admin-token', 'blob-key', 'server-key']) {
        expect((await stat(join(dataDir, name))).mode & 0o777).toBe(0o600);
      }
      const second = loadSecrets(config);
      expect(second.created).toEqual([]);
      expect(second.serverPublicKey).toBe(first.serverPublicKey);
      expect(second.blobKey).toEqual(first.blobKey);
      expect(second.adminTokenHash).toEqual(first.adminTokenHash);
      expect(second.warnings).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sharp thumbnails', () => {
  it('makes a small WebP from a JPEG and nothing from bytes that are not an image', async () => {
    const make = createSharpThumbnailMaker(32);
    const thumb = await make(await testJpeg(640, 480));
    expect(thumb).toMatchObject({ mime: 'image/webp', width: 32, height: 24 });
    expect(Buffer.from(thumb!.bytes.subarray(8, 12)).toString()).toBe('WEBP');
    expect(await make(new Uint8Array([1, 2, 3, 4]))).toBeNull();
  });
});
