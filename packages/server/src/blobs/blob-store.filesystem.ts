/**
 * BlobStore on the local filesystem, encrypted at rest with AES-256-GCM.
 *
 * File: <root>/<first two hex digits>/<sha256>, holding
 *   "SWB1" | 12-byte IV | 16-byte GCM tag | ciphertext
 * with the hash as additional authenticated data, so a file renamed to
 * another hash does not decrypt. Writes go to a temporary file that is
 * fsynced and renamed into place, so a crash never leaves half a blob under
 * a real name.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type BlobStore, SHA256_HEX } from './blob-store.js';

const MAGIC = Buffer.from('SWB1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES + TAG_BYTES;

export class BlobIntegrityError extends Error {
  constructor(sha256: string, why: string) {
    super(`blob ${sha256}: ${why}`);
    this.name = 'BlobIntegrityError';
  }
}

export function createFilesystemBlobStore(root: string, key: Uint8Array): BlobStore {
  if (key.length !== 32) throw new RangeError('The blob key must be 32 bytes (AES-256)');
  const pathOf = (sha256: string): string => {
    if (!SHA256_HEX.test(sha256)) throw new RangeError(`not a sha256: ${sha256.slice(0, 80)}`);
    return join(root, sha256.slice(0, 2), sha256);
  };
  const aad = (sha256: string) => Buffer.from(`seatwatch-blob/1 ${sha256}`);

  async function exists(path: string): Promise<boolean> {
    try {
      await stat(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  return {
    async put(sha256, bytes) {
      const path = pathOf(sha256);
      if (await exists(path)) return;
      const dir = join(root, sha256.slice(0, 2));
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(sha256));
      const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
      const temporary = join(dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
      const file = await open(temporary, 'w', 0o600);
      try {
        await file.writev([MAGIC, iv, cipher.getAuthTag(), ciphertext]);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
      const folder = await open(dir, 'r');
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
    },

    async get(sha256) {
      let data: Buffer;
      try {
        data = await readFile(pathOf(sha256));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      if (data.length < HEADER_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new BlobIntegrityError(sha256, 'not a Seatwatch blob file');
      }
      const iv = data.subarray(MAGIC.length, MAGIC.length + IV_BYTES);
      const tag = data.subarray(MAGIC.length + IV_BYTES, HEADER_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(aad(sha256));
      decipher.setAuthTag(tag);
      let plain: Buffer;
      try {
        plain = Buffer.concat([decipher.update(data.subarray(HEADER_BYTES)), decipher.final()]);
      } catch {
        throw new BlobIntegrityError(sha256, 'does not decrypt (wrong key or altered file)');
      }
      if (createHash('sha256').update(plain).digest('hex') !== sha256) {
        throw new BlobIntegrityError(sha256, 'content does not match its hash');
      }
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
    },

    has: (sha256) => exists(pathOf(sha256)),

    async delete(sha256) {
      await rm(pathOf(sha256), { force: true });
    },
  };
}
