/**
 * BlobStore on the local filesystem, sealed at rest as blob-sealing.ts says
 * (AES-256-GCM, the hash as additional data).
 *
 * File: <root>/<first two hex digits>/<sha256>. Writes go to a temporary
 * file that is fsynced and renamed into place, so a crash never leaves half
 * a blob under a real name.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBlobKey, openBlob, sealBlob } from './blob-sealing.js';
import { type BlobStore, blobPath } from './blob-store.js';

export { BlobIntegrityError } from './blob-sealing.js';

export function createFilesystemBlobStore(root: string, key: Uint8Array): BlobStore {
  assertBlobKey(key);
  const pathOf = (sha256: string): string => join(root, ...blobPath(sha256));

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
      const sealed = sealBlob(key, sha256, bytes);
      const temporary = join(dir, `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
      const file = await open(temporary, 'w', 0o600);
      try {
        await file.writeFile(sealed);
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
      return openBlob(key, sha256, data);
    },

    async has(sha256) {
      return exists(pathOf(sha256));
    },

    async delete(sha256) {
      await rm(pathOf(sha256), { force: true });
    },
  };
}
