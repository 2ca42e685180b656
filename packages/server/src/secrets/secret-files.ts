/**
 * The server's secrets: the admin API token, the server's Ed25519 key and
 * the blob encryption key. Each comes from configuration, or else from a
 * file in the data folder that is generated on first start with mode 0600
 * (owner only). Secrets are never logged; only file paths are printed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { type Ed25519Signer, fromBase64, keyPairFromSeed, toBase64 } from '@seatwatch/shared';
import { nodeCryptoSigner } from '@seatwatch/shared/node-crypto';
import type { ServerConfig } from '../config.js';

export interface ServerSecrets {
  /** SHA-256 of the admin token (the token itself is not kept in memory after start). */
  adminTokenHash: Buffer;
  /** The file holding the admin token, when it came from a file. */
  adminTokenFile: string | null;
  serverSigner: Ed25519Signer;
  /** Base64 of the server's public key, as agents pin it. */
  serverPublicKey: string;
  blobKey: Uint8Array;
  /** Files made by this start (to say so once). */
  created: string[];
  /** Problems worth a warning (a key file others can read). */
  warnings: string[];
}

export const ADMIN_TOKEN_FILE = 'admin-token';
export const SERVER_KEY_FILE = 'server-key';
export const BLOB_KEY_FILE = 'blob-key';

export function sha256(text: string | Uint8Array): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A fresh random secret in URL-safe base64 (used for tokens people copy). */
export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

interface SecretFile {
  value: string;
  created: boolean;
  warning: string | null;
}

/** Reads the secret in `path`, or writes `make()` there with mode 0600 if the file does not exist. */
export function readOrCreateSecretFile(path: string, make: () => string): SecretFile {
  try {
    const fd = openSync(path, 'wx', 0o600);
    const value = make();
    try {
      writeSync(fd, `${value}\n`);
    } finally {
      closeSync(fd);
    }
    return { value, created: true, warning: null };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const value = readFileSync(path, 'utf8').trim();
  if (!value) throw new Error(`${path} is empty; delete it to have a new secret generated`);
  const mode = statSync(path).mode & 0o777;
  const warning =
    mode & 0o077 ? `${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it` : null;
  return { value, created: false, warning };
}

export function loadSecrets(config: ServerConfig): ServerSecrets {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Owner only even when the folder was there before (made by hand, or by an older version with a
  // looser umask): it holds the keys, the embedded database and the screenshots (issue #11).
  chmodSync(config.dataDir, 0o700);
  const created: string[] = [];
  const warnings: string[] = [];
  const fromFile = (name: string, make: () => string): { value: string; path: string } => {
    const path = join(config.dataDir, name);
    const file = readOrCreateSecretFile(path, make);
    if (file.created) created.push(path);
    if (file.warning) warnings.push(file.warning);
    return { value: file.value, path };
  };
  const base64Key = () => randomBytes(32).toString('base64');

  let adminToken: string;
  let adminTokenFile: string | null = null;
  if (config.adminToken) {
    adminToken = config.adminToken;
  } else {
    const file = fromFile(ADMIN_TOKEN_FILE, () => randomToken('swa_'));
    adminToken = file.value;
    adminTokenFile = file.path;
  }

  const seed = fromBase64(config.serverKey ?? fromFile(SERVER_KEY_FILE, base64Key).value, 32);
  const serverSigner = nodeCryptoSigner(keyPairFromSeed(seed).secretKey);
  const blobKey = fromBase64(config.blobKey ?? fromFile(BLOB_KEY_FILE, base64Key).value, 32);

  return {
    adminTokenHash: sha256(adminToken),
    adminTokenFile,
    serverSigner,
    serverPublicKey: toBase64(serverSigner.publicKey),
    blobKey,
    created,
    warnings,
  };
}
