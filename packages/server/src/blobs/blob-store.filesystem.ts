/**
 * BlobStore on the local filesystem, sealed at rest as blob-sealing.ts says
 * (AES-256-GCM, the hash as additional data).
 *
 * File: <root>/<first two hex digits>/<name>, the name keyed as
 * blob-store.ts says (a blob stored before that is read, and deleted, under
 * its hash). Writes go to a temporary file that is fsynced and renamed into
 * place, so a crash never leaves half a blob under a real name; the
 * temporary file such a crash leaves is removed by the orphan sweep
 * (removeLeftovers).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBlobKey, openBlob, sealBlob } from './blob-sealing.js';
import { type BlobStore, blobNames } from './blob-store.js';

export { BlobIntegrityError } from './blob-sealing.js';

const TWO_HEX = /^[0-9a-f]{2}$/;
/** What put() names its temporary files: `.<name>.<12 hex>.tmp`. */
const TEMPORARY = /^\.[0-9a-f]{64}\.[0-9a-f]{12}\.tmp$/;

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export function createFilesystemBlobStore(root: string, key: Uint8Array): BlobStore {
  assertBlobKey(key);
  const names = blobNames(key);
  const pathOf = (sha256: string): string => join(root, ...names.keyed(sha256));
  const legacyPathOf = (sha256: string): string => join(root, ...names.legacy(sha256));

  async function read(path: string): Promise<Buffer | null> {
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

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
      const [folder, name] = names.keyed(sha256);
      const path = join(root, folder, name);
      if ((await exists(path)) || (await exists(legacyPathOf(sha256)))) return;
      const dir = join(root, folder);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const sealed = sealBlob(key, sha256, bytes);
      const temporary = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
      const file = await open(temporary, 'w', 0o600);
      try {
        await file.writeFile(sealed);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
      const directory = await open(dir, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    },

    async get(sha256) {
      const data = (await read(pathOf(sha256))) ?? (await read(legacyPathOf(sha256)));
      return data === null ? null : openBlob(key, sha256, data);
    },

    async has(sha256) {
      return (await exists(pathOf(sha256))) || (await exists(legacyPathOf(sha256)));
    },

    async delete(sha256) {
      await rm(pathOf(sha256), { force: true });
      await rm(legacyPathOf(sha256), { force: true });
    },

    async removeLeftovers(before) {
      let removed = 0;
      for (const folder of await entries(root)) {
        if (!TWO_HEX.test(folder)) continue;
        for (const name of await entries(join(root, folder))) {
          if (!TEMPORARY.test(name)) continue;
          const path = join(root, folder, name);
          const changed = await stat(path).then(
            (s) => s.mtimeMs,
            () => null,
          );
          if (changed === null || changed >= before.getTime()) continue;
          await rm(path, { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}
