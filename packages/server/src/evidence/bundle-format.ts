/**
 * The evidence bundle (format seatwatch-evidence/1), one zip file:
 *
 *   manifest.json          what the bundle is: kind, subject, who exported it, when, why,
 *                          and the SHA-256 and size of every other file but manifest.sig
 *   manifest.sig           64 raw bytes: Ed25519 signature of manifest.json's exact bytes
 *                          by the server key
 *   server-public-key.pem  the server's public key (SPKI PEM), for openssl
 *   SHA256SUMS             the same hashes in `sha256sum -c` form
 *   ...                    the data files (case.json, data/*.json|csv, screenshots/*, audit.*)
 *
 * Entries are stored (not deflated) with fixed metadata, so the same
 * content always makes the same archive bytes. Verification does not rely
 * on that: verify-bundle checks the signed manifest and the files it lists,
 * so the bundle survives being unpacked and zipped again (issue #11).
 * Screenshots are JPEG or WebP already; deflate would gain nothing on them.
 */
import { createHash } from 'node:crypto';

export const BUNDLE_FORMAT = 'seatwatch-evidence/1';
export const MANIFEST_FILE = 'manifest.json';
export const SIGNATURE_FILE = 'manifest.sig';
export const PUBLIC_KEY_FILE = 'server-public-key.pem';
export const CHECKSUM_FILE = 'SHA256SUMS';

export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  kind: 'case' | 'project';
  /** ISO 8601, and the same instant in ms (the zip entries carry it as their time). */
  exportedAt: string;
  exportedAtMs: number;
  exportedBy: string;
  reason: string | null;
  server: { publicKey: string; fingerprint: string };
  /** What was exported: the case or the project, and its items. */
  subject: Record<string, unknown>;
  counts: Record<string, number>;
  files: ManifestFile[];
}

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function publicKeyPem(publicKey: Uint8Array): string {
  const der = Buffer.concat([SPKI_PREFIX, publicKey]).toString('base64');
  return `-----BEGIN PUBLIC KEY-----\n${der}\n-----END PUBLIC KEY-----\n`;
}

/** The 32 raw key bytes of an Ed25519 SPKI PEM, or null when it is not one. */
export function publicKeyFromPem(pem: string): Uint8Array | null {
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  if (der.length !== SPKI_PREFIX.length + 32 || !der.subarray(0, SPKI_PREFIX.length).equals(SPKI_PREFIX))
    return null;
  return new Uint8Array(der.subarray(SPKI_PREFIX.length));
}

/** SHA-256 of the raw public key, hex: what people compare. */
export function keyFingerprint(publicKey: Uint8Array): string {
  return createHash('sha256').update(publicKey).digest('hex');
}

/**
 * Zip entry times are written from this date. yazl writes the MS-DOS time
 * from local-time getters; these return UTC, so the bytes do not depend on
 * the time zone of the machine that writes the archive.
 */
export class UtcDosDate extends Date {
  override getFullYear() {
    return this.getUTCFullYear();
  }
  override getMonth() {
    return this.getUTCMonth();
  }
  override getDate() {
    return this.getUTCDate();
  }
  override getHours() {
    return this.getUTCHours();
  }
  override getMinutes() {
    return this.getUTCMinutes();
  }
  override getSeconds() {
    return this.getUTCSeconds();
  }
}

/** The options every entry is written with. */
export function entryOptions(exportedAtMs: number) {
  return { compress: false, mtime: new UtcDosDate(exportedAtMs) };
}

export function sha256sums(files: readonly ManifestFile[]): string {
  return files.map((file) => `${file.sha256}  ${file.path}\n`).join('');
}
