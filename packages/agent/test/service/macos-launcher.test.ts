/**
 * The macOS command launcher (packaging/macos/seatwatch-agent), run under sh
 * with a `readlink` that, like macOS's before 12.3, has no -f: reached
 * through the /usr/local/bin link (absolute, or relative and chained), it
 * starts the shipped Node runtime on the shipped app with the arguments
 * unchanged.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const LAUNCHER = path.join(import.meta.dirname, '../../../../packaging/macos/seatwatch-agent');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-macos-launcher-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function write(file: string, text: string, mode = 0o755) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode });
}

// The package's layout under /opt/seatwatch-agent, with a node that prints what it was given.
const opt = path.join(work, 'opt', 'seatwatch-agent');
fs.mkdirSync(path.join(opt, 'bin'), { recursive: true });
fs.copyFileSync(LAUNCHER, path.join(opt, 'bin', 'seatwatch-agent'));
fs.chmodSync(path.join(opt, 'bin', 'seatwatch-agent'), 0o755);
write(path.join(opt, 'node', 'bin', 'node'), '#!/bin/sh\nprintf "%s\\n" "$0" "$@"\n');
// BSD readlink before macOS 12.3: no -f.
const oldBin = path.join(work, 'old-bsd');
write(
  path.join(oldBin, 'readlink'),
  '#!/bin/sh\ncase "$1" in -*) echo "readlink: illegal option" >&2; exit 1 ;; esac\nexec /bin/readlink "$@"\n',
);

const localBin = path.join(work, 'usr', 'local', 'bin');
fs.mkdirSync(localBin, { recursive: true });
fs.symlinkSync(path.join(opt, 'bin', 'seatwatch-agent'), path.join(localBin, 'seatwatch-agent'));
// A relative link to a relative link, as a package manager may leave them.
fs.symlinkSync(
  '../../opt/seatwatch-agent/bin/seatwatch-agent',
  path.join(work, 'usr', 'local', 'agent-link'),
);
fs.symlinkSync('../agent-link', path.join(localBin, 'seatwatch-agent-chained'));

describe('the macOS seatwatch-agent launcher', () => {
  it.each([
    ['an absolute link', 'seatwatch-agent'],
    ['a chain of relative links', 'seatwatch-agent-chained'],
    ['the file itself', null],
  ])('through %s, starts the shipped node on the shipped app', (_how, link) => {
    const command = link ? path.join(localBin, link) : path.join(opt, 'bin', 'seatwatch-agent');
    const out = execFileSync(command, ['status', '--state-dir', 'a b'], {
      env: { PATH: `${oldBin}:/usr/bin:/bin` },
      encoding: 'utf8',
    });
    const [node, app, ...args] = out.trimEnd().split('\n');
    expect(fs.realpathSync(node!)).toBe(fs.realpathSync(path.join(opt, 'node', 'bin', 'node')));
    expect(path.normalize(app!)).toBe(path.join(opt, 'app', 'dist', 'main.js'));
    expect(args).toEqual(['status', '--state-dir', 'a b']);
  });
});
