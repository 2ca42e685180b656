/**
 * The BlobStore contract, run against both stores: files in a folder and an
 * S3-compatible bucket (s3rver on 127.0.0.1, port 0, started here). Each
 * store also says where its raw bytes are, so the tests can look at what is
 * at rest and alter it as someone with access to the disk or the bucket could.
 * Names at rest are keyed (HMAC-SHA256, issue #11): no name gives away the
 * SHA-256 of what it holds, and blobs stored under their hash before that
 * are still read and deleted.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import { S3_TEST_CREDENTIALS, startS3Server, type TestS3Server, testJpeg } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobIntegrityError, sealBlob } from '../../src/blobs/blob-sealing.js';
import { createFilesystemBlobStore } from '../../src/blobs/blob-store.filesystem.js';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import { createS3BlobStore } from '../../src/blobs/blob-store.s3.js';

const BUCKET = 'seatwatch-contract';
/** The blob key of the contract's stores. */
const KEY = randomBytes(32);

/** The keyed name, derived here from its definition (docs/deployment.md), not from the store's code. */
function keyedName(sha256: string, key: Uint8Array = KEY): string {
  const nameKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'seatwatch/blob-names/1', 32));
  const name = createHmac('sha256', nameKey).update(sha256).digest('hex');
  return `${name.slice(0, 2)}/${name}`;
}
const legacyName = (sha256: string) => `${sha256.slice(0, 2)}/${sha256}`;

interface StoreUnderTest {
  /** A store on the same place, with this key. */
  open(key: Uint8Array): BlobStore;
  /** What is at rest under this name (default: the hash's keyed name under KEY), or null. */
  readRaw(sha256: string, name?: string): Promise<Buffer | null>;
  writeRaw(sha256: string, bytes: Uint8Array, name?: string): Promise<void>;
  /** Every raw name (file path under the root, or object key) there is. */
  listRaw(): Promise<string[]>;
  /** Where a hash lives, as the store lays it out. */
  nameOf(sha256: string): string;
}

let s3: TestS3Server;
let s3Client: S3Client;
let fsRoot: string;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET] });
  s3Client = new S3Client({ ...s3.settings(BUCKET), credentials: S3_TEST_CREDENTIALS });
  fsRoot = await mkdtemp(join(tmpdir(), 'seatwatch-blobs-'));
});
afterAll(async () => {
  s3Client?.destroy();
  await s3?.stop();
  if (fsRoot) await rm(fsRoot, { recursive: true, force: true });
});

async function bodyOf(key: string): Promise<Buffer | null> {
  try {
    const answer = await s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  } catch (error) {
    if ((error as Error).name === 'NoSuchKey') return null;
    throw error;
  }
}

async function listKeys(prefix = ''): Promise<string[]> {
  const answer = await s3Client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (answer.Contents ?? []).map((object) => object.Key!).sort();
}

const stores: Array<[string, () => StoreUnderTest]> = [
  [
    'filesystem',
    () => {
      const root = join(fsRoot, randomBytes(4).toString('hex'));
      return {
        open: (key) => createFilesystemBlobStore(root, key),
        nameOf: keyedName,
        async readRaw(sha256, name = keyedName(sha256)) {
          return readFile(join(root, name)).catch(() => null);
        },
        async writeRaw(sha256, bytes, name = keyedName(sha256)) {
          await mkdir(join(root, name.slice(0, 2)), { recursive: true });
          await writeFile(join(root, name), bytes);
        },
        async listRaw() {
          const names = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
          return names
            .filter((entry) => entry.isFile())
            .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
            .sort();
        },
      };
    },
  ],
  [
    'S3 (s3rver)',
    () => {
      const prefix = `run-${randomBytes(4).toString('hex')}`;
      return {
        open: (key) =>
          createS3BlobStore({ ...s3.settings(BUCKET), prefix, credentials: S3_TEST_CREDENTIALS }, key),
        nameOf: keyedName,
        readRaw: (sha256, name = keyedName(sha256)) => bodyOf(`${prefix}/${name}`),
        async writeRaw(sha256, bytes, name = keyedName(sha256)) {
          await s3Client.send(
            new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${name}`, Body: bytes }),
          );
        },
        async listRaw() {
          return (await listKeys(`${prefix}/`)).map((key) => key.slice(prefix.length + 1));
        },
      };
    },
  ],
];

describe.each(stores)('BlobStore contract: %s', (_name, make) => {
  const key = KEY;

  it('names what it keeps by an HMAC of the hash: no name gives the content’s SHA-256 away', async () => {
    const place = make();
    const store = place.open(key);
    const hashes: string[] = [];
    for (const width of [32, 48, 64]) {
      const bytes = await testJpeg(width, 24);
      hashes.push(sha256Hex(bytes));
      await store.put(sha256Hex(bytes), bytes);
    }
    const names = await place.listRaw();
    expect(names).toEqual(hashes.map((hash) => keyedName(hash)).sort());
    for (const hash of hashes) {
      expect(names.join('\n')).not.toContain(hash);
      // Not even its first half: nothing of the hash can be matched against a known image.
      expect(names.join('\n')).not.toContain(hash.slice(0, 32));
    }
    // Another installation's key names the same content differently.
    const other = make();
    await other.open(randomBytes(32)).put(hashes[0]!, (await store.get(hashes[0]!))!);
    expect(await other.listRaw()).not.toEqual([keyedName(hashes[0]!)]);
  });

  it('reads, and deletes, a blob stored under its hash before names were keyed', async () => {
    const place = make();
    const store = place.open(key);
    const bytes = await testJpeg(40, 40);
    const hash = sha256Hex(bytes);
    await place.writeRaw(hash, sealBlob(key, hash, bytes), legacyName(hash));
    expect(await store.has(hash)).toBe(true);
    expect(await store.get(hash)).toEqual(bytes);
    // Already there (under the old name): not stored a second time.
    await store.put(hash, bytes);
    expect(await place.listRaw()).toEqual([legacyName(hash)]);
    await store.delete(hash);
    expect(await store.has(hash)).toBe(false);
    expect(await place.listRaw()).toEqual([]);
  });

  it('round-trips bytes under their hash; a second put is a no-op; delete is idempotent', async () => {
    const place = make();
    const store = place.open(key);
    const bytes = await testJpeg(64, 48);
    const hash = sha256Hex(bytes);
    expect(await store.has(hash)).toBe(false);
    expect(await store.get(hash)).toBeNull();

    await store.put(hash, bytes);
    const first = await place.readRaw(hash);
    await store.put(hash, bytes);
    expect(await place.readRaw(hash)).toEqual(first);
    expect(await store.has(hash)).toBe(true);
    expect(await store.get(hash)).toEqual(bytes);
    expect(await place.listRaw()).toEqual([place.nameOf(hash)]);

    await store.delete(hash);
    expect(await store.has(hash)).toBe(false);
    expect(await store.get(hash)).toBeNull();
    await store.delete(hash);
    expect(await place.listRaw()).toEqual([]);
  });

  it('keeps only ciphertext at rest (AES-256-GCM, "SWB1" header), never the image', async () => {
    const place = make();
    const store = place.open(key);
    const image = await testJpeg(320, 200);
    const secret = Buffer.from('customer card number 4111 1111 1111 1111');
    const hash = sha256Hex(image);
    const secretHash = sha256Hex(secret);
    await store.put(hash, image);
    await store.put(secretHash, secret);

    const raw = (await place.readRaw(hash))!;
    expect(raw.subarray(0, 4).toString()).toBe('SWB1');
    expect(raw.length).toBe(4 + 12 + 16 + image.length);
    // Neither the whole image nor any 16-byte run of it is there in the clear.
    for (let at = 0; at + 16 <= image.length; at += 16) {
      expect(raw.includes(Buffer.from(image.subarray(at, at + 16)))).toBe(false);
    }
    expect((await place.readRaw(secretHash))!.includes(Buffer.from('4111'))).toBe(false);
  });

  it('refuses bytes that were altered, moved to another hash, or read with another key', async () => {
    const place = make();
    const store = place.open(key);
    const a = new Uint8Array([1, 2, 3]);
    const b = new Uint8Array([4, 5, 6]);
    const [ha, hb] = [sha256Hex(a), sha256Hex(b)];
    await store.put(ha, a);
    await store.put(hb, b);

    await place.writeRaw(hb, (await place.readRaw(ha))!);
    await expect(store.get(hb)).rejects.toBeInstanceOf(BlobIntegrityError);

    const altered = (await place.readRaw(ha))!;
    altered[altered.length - 1]! ^= 1;
    await place.writeRaw(ha, altered);
    await expect(store.get(ha)).rejects.toBeInstanceOf(BlobIntegrityError);

    await place.writeRaw(ha, new Uint8Array([1, 2, 3]));
    await expect(store.get(ha)).rejects.toBeInstanceOf(BlobIntegrityError);

    // Another key does not even find the blob (its names differ); given the bytes under its name, it cannot open them.
    const c = new Uint8Array([7]);
    const hc = sha256Hex(c);
    await store.put(hc, c);
    const otherKey = randomBytes(32);
    expect(await place.open(otherKey).get(hc)).toBeNull();
    await place.writeRaw(hc, (await place.readRaw(hc))!, keyedName(hc, otherKey));
    await expect(place.open(otherKey).get(hc)).rejects.toBeInstanceOf(BlobIntegrityError);
  });

  it('refuses names that are not SHA-256 hashes and keys that are not 32 bytes', async () => {
    const place = make();
    const store = place.open(key);
    for (const name of ['../../etc/passwd', 'A'.repeat(64), `${'a'.repeat(63)}/`]) {
      await expect(store.put(name, new Uint8Array(1))).rejects.toThrow(RangeError);
      await expect(store.get(name)).rejects.toThrow(RangeError);
      await expect(store.has(name)).rejects.toThrow(RangeError);
      await expect(store.delete(name)).rejects.toThrow(RangeError);
    }
    expect(() => place.open(randomBytes(16))).toThrow(RangeError);
    expect(await place.listRaw()).toEqual([]);
  });
});

describe('S3 blob store', () => {
  const key = KEY;
  const open = (overrides: Partial<Parameters<typeof createS3BlobStore>[0]> = {}) =>
    createS3BlobStore(
      { ...s3.settings(BUCKET), prefix: 'blobs', credentials: S3_TEST_CREDENTIALS, ...overrides },
      key,
    );

  it('reads a blob the filesystem store wrote, once its file is copied to the same key', async () => {
    const root = await mkdtemp(join(tmpdir(), 'seatwatch-blobs-copy-'));
    try {
      const bytes = await testJpeg(100, 60);
      const hash = sha256Hex(bytes);
      await createFilesystemBlobStore(root, key).put(hash, bytes);
      const prefix = `copied-${randomBytes(4).toString('hex')}`;
      const body = await readFile(join(root, keyedName(hash)));
      await s3Client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${keyedName(hash)}`, Body: body }),
      );
      expect(await open({ prefix }).get(hash)).toEqual(bytes);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('lays keys out as <prefix>/<2 hex digits>/<keyed name>, slashes around the prefix ignored', async () => {
    const hash = sha256Hex(new Uint8Array([9]));
    expect(open({ prefix: '/tenant-a/blobs/' }).keyOf(hash)).toBe(`tenant-a/blobs/${keyedName(hash)}`);
    expect(open({ prefix: '' }).keyOf(hash)).toBe(keyedName(hash));
    const store = open({ prefix: 'layout' });
    await store.put(hash, new Uint8Array([9]));
    expect(await listKeys('layout/')).toEqual([`layout/${keyedName(hash)}`]);
    await store.delete(hash);
  });

  it('fails, rather than answering "no blob", when the bucket is missing or the access key unknown', async () => {
    const bytes = new Uint8Array([42]);
    const hash = sha256Hex(bytes);
    await open().put(hash, bytes);
    try {
      const stranger = open({ credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'S3RVER' } });
      await expect(stranger.get(hash)).rejects.toThrow(/access key/i);
      await expect(stranger.put(sha256Hex(new Uint8Array([43])), new Uint8Array([43]))).rejects.toMatchObject(
        {
          $metadata: { httpStatusCode: 403 },
        },
      );
      const noBucket = open({ bucket: 'no-such-bucket' });
      await expect(noBucket.get(hash)).rejects.toThrow(/bucket/i);
      await expect(noBucket.put(hash, bytes)).rejects.toThrow(/bucket/i);
    } finally {
      await s3Client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: open().keyOf(hash) }));
    }
  });
});
