/**
 * How a blob is sealed at rest, whichever store keeps it (a file or an S3
 * object): AES-256-GCM under the installation's blob key,
 *   "SWB1" | 12-byte IV | 16-byte GCM tag | ciphertext
 * with the hash as additional authenticated data, so bytes moved to another
 * hash do not decrypt, and the plaintext checked against its hash on the way
 * out. One format for both stores: a filesystem blob copied to its S3 key
 * reads back as it is (docs/deployment.md).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

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

export function assertBlobKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError('The blob key must be 32 bytes (AES-256)');
}

const aad = (sha256: string) => Buffer.from(`seatwatch-blob/1 ${sha256}`);

/** The sealed form of `bytes` (stored under `sha256`), with a fresh random IV. */
export function sealBlob(key: Uint8Array, sha256: string, bytes: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(sha256));
  const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
  return Buffer.concat([MAGIC, iv, cipher.getAuthTag(), ciphertext]);
}

/** The plaintext of a sealed blob; BlobIntegrityError unless it decrypts under this key and hash and matches the hash. */
export function openBlob(key: Uint8Array, sha256: string, sealed: Uint8Array): Uint8Array {
  const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (data.length < HEADER_BYTES || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BlobIntegrityError(sha256, 'not a Seatwatch blob');
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
    throw new BlobIntegrityError(sha256, 'does not decrypt (wrong key or altered bytes)');
  }
  if (createHash('sha256').update(plain).digest('hex') !== sha256) {
    throw new BlobIntegrityError(sha256, 'content does not match its hash');
  }
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}
