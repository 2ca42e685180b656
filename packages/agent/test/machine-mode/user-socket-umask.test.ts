/**
 * The Unix session socket as the packaged service makes it: under umask
 * 0077 (its systemd unit's UMask, its LaunchDaemon's Umask), in a folder
 * that does not exist yet (/run/seatwatch-agent/sessions after a boot;
 * /var/run/seatwatch-agent/sessions on macOS). The folders on the way must
 * stay passable for every operator, or no session part reaches its socket.
 * Run in a child process, where the umask can be set; the account is the
 * test's own (chown to oneself needs no privilege).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tsNodeArgs } from '../support/child-process.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-user-socket-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const SOURCE = path.join(import.meta.dirname, '../../src/local-channel/user-socket.unix.ts');

describe('listenUserSocket under umask 0077', () => {
  it("leaves the folders it made passable (0755) and the account's folder its own (0700)", () => {
    const root = path.join(work, 'run', 'seatwatch-agent', 'sessions');
    const uid = process.getuid!();
    const gid = process.getgid!();
    const script = `
      import { listenUserSocket } from ${JSON.stringify(SOURCE)};
      const socket = await listenUserSocket(${JSON.stringify(root)}, { name: 'me', uid: ${uid}, gid: ${gid} }, () => {});
      await socket.close();
    `;
    const file = path.join(work, 'listen.mts');
    fs.writeFileSync(file, script);
    execFileSync('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, ...tsNodeArgs(), file], {
      stdio: 'pipe',
    });
    const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);
    expect(mode(path.join(work, 'run'))).toBe('755');
    expect(mode(path.join(work, 'run', 'seatwatch-agent'))).toBe('755');
    expect(mode(root)).toBe('755');
    expect(mode(path.join(root, String(uid)))).toBe('700');
  });
});
