/**
 * The enrolled identity on disk: agent.json (ids, pinned server key, the
 * latest policy and notice) and agent.key (the Ed25519 secret key, owner-only).
 * Loading refuses, with a message that says what to do, when the key file can
 * be read by anyone but its owner or when the state is corrupt.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SECRET_KEY_BYTES,
  fromBase64,
  type Notice,
  type Policy,
  toBase64,
  validateNotice,
  validatePolicy,
} from '@seatwatch/shared';
import { writeFileAtomic } from '../runtime/atomic-file.js';
import { STATE_FILES } from './state-dir.js';

export interface Identity {
  readonly version: 1;
  readonly agentId: string;
  readonly projectId: string;
  /** Collector base URL as given at enrollment (https://..., or http on loopback / with --insecure). */
  readonly serverUrl: string;
  readonly insecure: boolean;
  /** Base64 of the pinned 32-byte server key. */
  readonly serverPublicKey: string;
  readonly seat: string | null;
  readonly enrolledAt: number;
  readonly policy: Policy;
  readonly notice: Notice;
  readonly revoked: boolean;
}

export interface LoadedIdentity {
  readonly identity: Identity;
  readonly secretKey: Uint8Array;
  readonly serverPublicKey: Uint8Array;
}

/** A problem with the state folder that the operator or an administrator must fix. Exit code 2. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

export class NotEnrolledError extends StateError {
  constructor(stateDir: string) {
    super(
      `this seat is not enrolled (no ${path.join(stateDir, STATE_FILES.identity)}); run: seatwatch-agent enroll --server URL --token TOKEN`,
    );
    this.name = 'NotEnrolledError';
  }
}

export function isEnrolled(stateDir: string): boolean {
  return fs.existsSync(path.join(stateDir, STATE_FILES.identity));
}

export function ensureStateDir(stateDir: string): void {
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
}

export function saveEnrollment(stateDir: string, identity: Identity, secretKey: Uint8Array): void {
  ensureStateDir(stateDir);
  writeFileAtomic(path.join(stateDir, STATE_FILES.secretKey), `${toBase64(secretKey)}\n`, 0o600);
  writeFileAtomic(path.join(stateDir, STATE_FILES.identity), `${JSON.stringify(identity, null, 2)}\n`, 0o600);
}

export function saveIdentity(stateDir: string, identity: Identity): void {
  writeFileAtomic(path.join(stateDir, STATE_FILES.identity), `${JSON.stringify(identity, null, 2)}\n`, 0o600);
}

export function checkOwnerOnly(file: string): void {
  if (process.platform === 'win32') return; // NTFS ACLs: the profile folder is the user's own (docs/agent.md).
  const stat = fs.statSync(file);
  if ((stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(3, '0');
    throw new StateError(
      `refusing to start: the secret key ${file} can be read by other users (mode ${mode}); it must be readable by its owner only. Fix it with: chmod 600 '${file}'`,
    );
  }
  if (typeof process.getuid === 'function' && stat.uid !== process.getuid()) {
    throw new StateError(
      `refusing to start: the secret key ${file} belongs to user id ${stat.uid}, not to the user running the agent (${process.getuid()})`,
    );
  }
}

export function loadIdentity(stateDir: string): LoadedIdentity {
  const identityFile = path.join(stateDir, STATE_FILES.identity);
  const keyFile = path.join(stateDir, STATE_FILES.secretKey);
  if (!fs.existsSync(identityFile)) throw new NotEnrolledError(stateDir);
  const corrupt = (why: string) =>
    new StateError(
      `the agent state in ${stateDir} is corrupt: ${why}. Run "seatwatch-agent unenroll" and enroll this seat again`,
    );
  if (!fs.existsSync(keyFile)) throw corrupt(`${STATE_FILES.secretKey} is missing`);
  checkOwnerOnly(keyFile);
  let secretKey: Uint8Array;
  try {
    secretKey = fromBase64(fs.readFileSync(keyFile, 'utf8').trim(), ED25519_SECRET_KEY_BYTES);
  } catch {
    throw corrupt(`${STATE_FILES.secretKey} does not hold a ${ED25519_SECRET_KEY_BYTES}-byte base64 key`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(identityFile, 'utf8'));
  } catch {
    throw corrupt(`${STATE_FILES.identity} is not valid JSON`);
  }
  const identity = raw as Identity;
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (typeof raw !== 'object' || raw === null || identity.version !== 1)
    throw corrupt(`${STATE_FILES.identity} has no version 1`);
  if (!str(identity.agentId) || !str(identity.projectId) || !str(identity.serverUrl)) {
    throw corrupt(`${STATE_FILES.identity} lacks agentId, projectId or serverUrl`);
  }
  if (typeof identity.insecure !== 'boolean' || typeof identity.revoked !== 'boolean') {
    throw corrupt(`${STATE_FILES.identity} lacks its insecure/revoked flags`);
  }
  if (!validatePolicy(identity.policy)) throw corrupt(`${STATE_FILES.identity} holds an invalid policy`);
  if (!validateNotice(identity.notice)) throw corrupt(`${STATE_FILES.identity} holds an invalid notice`);
  let serverPublicKey: Uint8Array;
  try {
    serverPublicKey = fromBase64(identity.serverPublicKey, ED25519_PUBLIC_KEY_BYTES);
  } catch {
    throw corrupt(`${STATE_FILES.identity} holds no valid server key`);
  }
  return { identity, secretKey, serverPublicKey };
}

/**
 * Removes everything the agent keeps (unenroll), and then the folder itself.
 * Only what the agent writes is deleted (its files, their write-temp
 * siblings, the screenshot copies), so a --state-dir pointed at a folder
 * holding other files loses none of them; those names are returned and the
 * folder stays.
 */
export function removeState(stateDir: string): { readonly leftOver: readonly string[] } {
  const ours = Object.values(STATE_FILES) as string[];
  const isOurs = (name: string) => ours.some((own) => name === own || name.startsWith(`${own}.`));
  let names: string[];
  try {
    names = fs.readdirSync(stateDir);
  } catch {
    return { leftOver: [] };
  }
  for (const name of names.filter(isOurs))
    fs.rmSync(path.join(stateDir, name), { recursive: true, force: true });
  const leftOver = names.filter((name) => !isOurs(name));
  if (leftOver.length === 0) fs.rmdirSync(stateDir);
  return { leftOver };
}
