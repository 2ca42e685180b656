/**
 * Where screenshot bytes live, addressed by the SHA-256 of their content.
 * Two implementations: files in the data folder (the default,
 * blob-store.filesystem.ts) and an S3-compatible bucket (blob-store.s3.ts),
 * both sealed at rest the same way (blob-sealing.ts).
 */
export interface BlobStore {
  /** Stores the bytes under their hash; durable when it resolves. Storing the same hash again is a no-op. */
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  /** The bytes, or null if there are none under this hash. */
  get(sha256: string): Promise<Uint8Array | null>;
  has(sha256: string): Promise<boolean>;
  /** Removes the bytes; removing what is not there is fine. */
  delete(sha256: string): Promise<void>;
}

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The one layout both stores use: [<first two hex digits>, <sha256>], a
 * folder and a file name, or the last two parts of an object key. Refuses
 * anything that is not a SHA-256 in lowercase hex (no path or key tricks).
 */
export function blobPath(sha256: string): [string, string] {
  if (!SHA256_HEX.test(sha256)) throw new RangeError(`not a sha256: ${sha256.slice(0, 80)}`);
  return [sha256.slice(0, 2), sha256];
}
