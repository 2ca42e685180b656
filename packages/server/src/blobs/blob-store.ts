/**
 * Where screenshot bytes live, addressed by the SHA-256 of their content.
 * The filesystem implementation is the default; an S3-compatible store can
 * implement the same port later.
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
