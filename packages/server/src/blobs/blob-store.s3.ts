/**
 * BlobStore in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...),
 * through the AWS SDK's S3 client, sealed exactly as on the filesystem
 * (blob-sealing.ts): the bucket, its operators and its backups only ever
 * see ciphertext.
 *
 * Key: <prefix>/<first two hex digits>/<name>, the filesystem's layout
 * under <dataDir>/blobs with the same keyed names (blob-store.ts), so a
 * filesystem blob copied to its key reads back. A blob stored before names
 * were keyed is read, and deleted, under <prefix>/<2 hex>/<sha256>.
 * An object appears whole or not at all (S3 PutObject), so a crash never
 * leaves half a blob under a real key.
 */
import { readFileSync } from 'node:fs';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { assertBlobKey, openBlob, sealBlob } from './blob-sealing.js';
import { type BlobStore, BlobStoreUnavailableError, blobNames } from './blob-store.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3BlobSettings {
  /** http(s)://host:port of an S3-compatible service; AWS S3 for the region when absent. */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  /** Folder-like key prefix; slashes at either end are ignored. */
  prefix: string;
  /** bucket in the path (http://host/bucket/key) instead of the host name: most S3-compatible services want it. */
  forcePathStyle: boolean;
  /** Access key; the AWS SDK's default chain (AWS_* variables, shared files, instance role) when absent. */
  credentials?: S3Credentials | undefined;
  /** Per-request limit, so a stalled bucket fails a put instead of holding an ingest commit forever. */
  requestTimeoutMs?: number;
}

export interface S3BlobStore extends BlobStore {
  /** The object key a hash is stored under. */
  keyOf(sha256: string): string;
  /** HeadBucket: the bucket is there and the access key may use it, or a BlobStoreUnavailableError naming both. */
  check(): Promise<void>;
  /** Closes the client's sockets. */
  close(): void;
}

export function createS3BlobStore(settings: S3BlobSettings, key: Uint8Array): S3BlobStore {
  assertBlobKey(key);
  const client = new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // Integrity is the GCM tag and the hash check (blob-sealing.ts); the SDK's default CRC
    // trailers are not understood by every S3-compatible service.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000, requestTimeout: settings.requestTimeoutMs ?? 30_000 },
  });
  const base = settings.prefix.replace(/^\/+|\/+$/g, '');
  const names = blobNames(key);
  const keyOf = (sha256: string) => [...(base ? [base] : []), ...names.keyed(sha256)].join('/');
  const legacyKeyOf = (sha256: string) => [...(base ? [base] : []), ...names.legacy(sha256)].join('/');
  const Bucket = settings.bucket;

  async function exists(Key: string): Promise<boolean> {
    try {
      await client.send(new HeadObjectCommand({ Bucket, Key }));
      return true;
    } catch (error) {
      if (status(error) === 404) return false;
      throw error;
    }
  }

  async function has(sha256: string): Promise<boolean> {
    return (await exists(keyOf(sha256))) || (await exists(legacyKeyOf(sha256)));
  }

  async function read(Key: string): Promise<Uint8Array | null> {
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket, Key }));
      if (!answer.Body) throw new Error(`S3 answered no body for ${Key}`);
      return await answer.Body.transformToByteArray();
    } catch (error) {
      // Only a missing key is "no blob"; a missing bucket or a refusal is an error, not retention.
      if (error instanceof S3ServiceException && error.name === 'NoSuchKey') return null;
      throw error;
    }
  }

  return {
    keyOf,
    has,

    async put(sha256, bytes) {
      if (await has(sha256)) return;
      await client.send(
        new PutObjectCommand({
          Bucket,
          Key: keyOf(sha256),
          Body: sealBlob(key, sha256, bytes),
          ContentType: 'application/octet-stream',
        }),
      );
    },

    async get(sha256) {
      const sealed = (await read(keyOf(sha256))) ?? (await read(legacyKeyOf(sha256)));
      return sealed === null ? null : openBlob(key, sha256, sealed);
    },

    async delete(sha256) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(sha256) }));
      await client.send(new DeleteObjectCommand({ Bucket, Key: legacyKeyOf(sha256) }));
    },

    async check() {
      const where = `the S3 bucket "${Bucket}" at ${settings.endpoint ?? `AWS S3 (${settings.region})`}`;
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (error) {
        const code = status(error);
        const why =
          code === 404
            ? 'does not exist (create it, or correct blobs.s3.bucket / SEATWATCH_S3_BUCKET)'
            : code === 401 || code === 403
              ? `refused the access key (HTTP ${code}: wrong key or secret, or no permission on the bucket)`
              : `cannot be reached: ${(error as Error).message || (error as Error).name}`;
        throw new BlobStoreUnavailableError(`${where} ${why}`, { cause: error });
      }
    },

    close: () => client.destroy(),
  };
}

function status(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/**
 * Reads an access key from a file holding {"accessKeyId": "...", "secretAccessKey": "..."}
 * (mounted like any other secret). Errors name the file, never its content.
 */
export function readS3CredentialsFile(path: string): S3Credentials {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const why = error instanceof SyntaxError ? 'not JSON' : (error as Error).message;
    throw new Error(`cannot read the S3 credentials file ${path}: ${why}`);
  }
  const { accessKeyId, secretAccessKey } = (parsed ?? {}) as Record<string, unknown>;
  if (
    typeof accessKeyId !== 'string' ||
    !accessKeyId ||
    typeof secretAccessKey !== 'string' ||
    !secretAccessKey
  ) {
    throw new Error(
      `the S3 credentials file ${path} must hold {"accessKeyId": "...", "secretAccessKey": "..."}`,
    );
  }
  return { accessKeyId, secretAccessKey };
}
