/**
 * Writes an evidence bundle to a stream with yazl. Entries are produced
 * lazily, one after the other, as yazl reaches them: a screenshot is read
 * from the blob store only when it is its turn, so memory stays flat
 * whatever the bundle holds. Each entry is hashed as it streams; the
 * checksum file, the manifest and its signature are made last, when every
 * hash is known.
 */
import { createHash } from 'node:crypto';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Ed25519Signer } from '@seatwatch/shared';
import yazl from 'yazl';
import {
  BUNDLE_FORMAT,
  type BundleManifest,
  CHECKSUM_FILE,
  entryOptions,
  keyFingerprint,
  MANIFEST_FILE,
  type ManifestFile,
  PUBLIC_KEY_FILE,
  publicKeyPem,
  SIGNATURE_FILE,
  sha256sums,
} from './bundle-format.js';

export type EntryContent = Uint8Array | string | AsyncIterable<Uint8Array | string>;

export interface BundleEntry {
  /** Path inside the zip (forward slashes). */
  path: string;
  /** Called when the entry's turn comes. */
  content: () => Promise<EntryContent> | EntryContent;
}

export interface BundleHead {
  kind: BundleManifest['kind'];
  exportedAtMs: number;
  exportedBy: string;
  reason: string | null;
  subject: Record<string, unknown>;
  counts: Record<string, number>;
}

export interface WrittenBundle {
  manifest: BundleManifest;
  /** SHA-256 of manifest.json. */
  manifestSha256: string;
  /** Bytes of the zip. */
  bytes: number;
}

async function* chunksOf(content: EntryContent): AsyncIterable<Uint8Array> {
  if (typeof content === 'string') yield Buffer.from(content, 'utf8');
  else if (content instanceof Uint8Array) yield content;
  else
    for await (const chunk of content) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
}

export async function writeBundle(
  out: Writable,
  options: { signer: Ed25519Signer; head: BundleHead; entries: Iterable<BundleEntry> },
): Promise<WrittenBundle> {
  const { signer, head } = options;
  const zip = new yazl.ZipFile();
  const entryOpts = entryOptions(head.exportedAtMs);
  const files: ManifestFile[] = [];
  let failure: Error | null = null;
  const fail = (error: Error) => {
    failure ??= error;
    (zip.outputStream as Readable).destroy(error);
  };
  zip.on('error', fail);

  const add = (path: string, content: () => Promise<EntryContent> | EntryContent, listed = true) => {
    zip.addReadStreamLazy(path, entryOpts, (callback) => {
      async function* hashed() {
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of chunksOf(await content())) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
        if (listed) files.push({ path, sha256: hash.digest('hex'), size });
      }
      const stream = Readable.from(hashed(), { objectMode: false });
      stream.on('error', fail);
      callback(null, stream);
    });
  };

  add(PUBLIC_KEY_FILE, () => publicKeyPem(signer.publicKey));
  for (const entry of options.entries) add(entry.path, entry.content);
  add(CHECKSUM_FILE, () => sha256sums(files));

  let manifestBytes: Buffer | null = null;
  let manifest: BundleManifest | null = null;
  add(
    MANIFEST_FILE,
    () => {
      manifest = {
        format: BUNDLE_FORMAT,
        kind: head.kind,
        exportedAt: new Date(head.exportedAtMs).toISOString(),
        exportedAtMs: head.exportedAtMs,
        exportedBy: head.exportedBy,
        reason: head.reason,
        server: {
          publicKey: Buffer.from(signer.publicKey).toString('base64'),
          fingerprint: keyFingerprint(signer.publicKey),
        },
        subject: head.subject,
        counts: head.counts,
        files: [...files],
      };
      manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
      return manifestBytes;
    },
    false,
  );
  add(SIGNATURE_FILE, () => signer.sign(manifestBytes!), false);
  zip.end();

  let bytes = 0;
  zip.outputStream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  // pipeline destroys `out` too when an entry fails, so a half bundle is never mistaken for a whole one.
  await pipeline(zip.outputStream, out);
  if (failure) throw failure;
  return {
    manifest: manifest!,
    manifestSha256: createHash('sha256').update(manifestBytes!).digest('hex'),
    bytes,
  };
}
