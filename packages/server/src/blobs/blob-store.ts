/**
 * Where screenshot bytes live, addressed by the SHA-256 of their content.
 * Two implementations: files in the data folder (the default,
 * blob-store.filesystem.ts) and an S3-compatible bucket (blob-store.s3.ts),
 * both sealed at rest the same way (blob-sealing.ts) and named alike (blobNames).
 */
import { createHmac, hkdfSync } from 'node:crypto';

export interface BlobStore {
  /** Stores the bytes under their hash; durable when it resolves. Storing the same hash again is a no-op. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null if there are none under this hash. */
  get(sha256: string): Promise<Uint8Array | null>;
  has(sha256: string): Promise<boolean>;
  /** Removes the bytes; removing what is not there is fine. */
  delete(sha256: string): Promise<void>;
  /**
   * Checks that the store can be used as configured (an S3 bucket exists and takes the access
   * key), so that a wrong setting stops the start with a BlobStoreUnavailableError naming it,
   * not the first screenshot. Absent: nothing to check.
   */
  check?(): Promise<void>;
  /** Releases the store's sockets; called once at shutdown, after the app has closed. */
  close?(): void;
  /**
   * Removes what writes cut short by a crash left behind and nobody will finish (a filesystem
   * store's temporary files) if it was last changed before `before`; returns how many. Absent
   * where a write appears whole or not at all (S3).
   */
  removeLeftovers?(before: Date): Promise<number>;
}

/** The configured store cannot be used: the message names it (bucket and endpoint), never a secret. */
export class BlobStoreUnavailableError extends Error {
  override name = 'BlobStoreUnavailableError';
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Where a blob lives: [<first two hex digits>, <name>], a folder and a file
 * name, or the last two parts of an object key, in both stores. The name is
 * HMAC-SHA256 of the content hash under a key derived from the blob key
 * (issue #11): whoever lists the folder or the bucket learns nothing about
 * the images (a known screenshot's SHA-256 cannot be looked for), yet the
 * server finds a blob from its hash alone. Blobs stored before names were
 * keyed are named by the hash itself (`legacy`): the stores look there too.
 */
export interface BlobNames {
  keyed(sha256: string): [string, string];
  legacy(sha256: string): [string, string];
}

export function blobNames(blobKey: Uint8Array): BlobNames {
  const nameKey = Buffer.from(hkdfSync('sha256', blobKey, Buffer.alloc(0), 'seatwatch/blob-names/1', 32));
  const split = (name: string): [string, string] => [name.slice(0, 2), name];
  return {
    keyed: (sha256) => split(createHmac('sha256', nameKey).update(checked(sha256)).digest('hex')),
    legacy: (sha256) => split(checked(sha256)),
  };
}

/** Refuses anything that is not a SHA-256 in lowercase hex (no path or key tricks). */
function checked(sha256: string): string {
  if (!SHA256_HEX.test(sha256)) throw new RangeError(`not a sha256: ${sha256.slice(0, 80)}`);
  return sha256;
}
