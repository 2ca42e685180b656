/**
 * Which notice version each OS account confirmed, as the machine service
 * recorded it from that account's session part (issue #14): kept in the
 * service's owner-only state folder, so a session part that restarts, or an
 * operator back for the next shift, is taken at once when the version has
 * not changed, and asked again when it has.
 */
import fs from 'node:fs';
import path from 'node:path';
import { STATE_FILES } from '../identity/state-dir.js';
import { writeFileAtomic } from '../runtime/atomic-file.js';

export interface SessionNotices {
  /** The version this account confirmed last, 0 for none. */
  version(account: string): number;
  record(account: string, version: number, at: number): void;
}

type Stored = Record<string, { version: number; at: number }>;

export function openSessionNotices(stateDir: string): SessionNotices {
  const file = path.join(stateDir, STATE_FILES.sessionNotices);
  let stored: Stored = {};
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (typeof raw === 'object' && raw !== null) stored = raw as Stored;
  } catch {
    // None yet, or unreadable: every operator is asked again, which is the safe side.
  }
  return {
    version(account) {
      const entry = Object.hasOwn(stored, account) ? stored[account] : undefined;
      return entry && Number.isInteger(entry.version) ? entry.version : 0;
    },
    record(account, version, at) {
      if (this.version(account) === version) return;
      stored = { ...stored, [account]: { version, at } };
      writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`);
    },
  };
}
