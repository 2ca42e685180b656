/**
 * A clean Debian system to install the agent's .deb into: a minimal bookworm
 * made once with debootstrap and cached outside the repository (the first
 * run downloads about 40 MB and takes minutes), copied afresh for each test
 * file, entered with chroot. The chroot shares this machine's network, so a
 * collector the test starts on 127.0.0.1 is reachable from inside. No
 * systemd runs there: the test runs the packaged commands itself, and the
 * unit files are checked by parsing (packages/agent/test/service).
 * booted-debian.ts boots a root with systemd instead.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Children } from '@seatwatch/testkit';

const run = promisify(execFile);

const CACHE = process.env.SEATWATCH_DEBOOTSTRAP_CACHE ?? '/var/cache/seatwatch-test-debootstrap';
const MIRROR = process.env.SEATWATCH_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const SUITE = 'bookworm';
/** The .deb's Depends that minbase lacks (packaging/package.ts, debianControl). */
export const DEB_DEPENDS = ['libxcb1', 'libdbus-1-3'];

/** Only what a root shell on a fresh system has: nothing of this machine's environment leaks in. */
export const CLEAN_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
};

export interface DebianRoot {
  readonly dir: string;
  /** A host path for a path inside the root. */
  path(inside: string): string;
  /** Runs a command inside the root; rejects on a non-zero exit. */
  exec(args: readonly string[], env?: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
  /** Starts a long-running command inside the root (chroot execs it: the pid is the command's). */
  spawn(args: readonly string[], env?: Record<string, string>): ReturnType<typeof spawn>;
  remove(): Promise<void>;
}

/**
 * A minbase bookworm with these packages too, made once by debootstrap and kept in
 * the cache (a folder per package list); the path of the finished copy.
 */
export async function cachedBase(
  log: (line: string) => void,
  include: readonly string[] = DEB_DEPENDS,
): Promise<string> {
  const base = path.join(CACHE, `${SUITE}-minbase-${include.join('+')}`);
  if (fs.existsSync(path.join(base, '.complete'))) return base;
  fs.mkdirSync(CACHE, { recursive: true });
  // Two test files making the same root at once must not share a partial folder.
  const partial = `${base}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  log(`debootstrap ${SUITE} into ${base} (once; later runs copy it)`);
  await run('debootstrap', ['--variant=minbase', `--include=${include.join(',')}`, SUITE, partial, MIRROR], {
    maxBuffer: 64 * 1024 * 1024,
  });
  fs.writeFileSync(path.join(partial, '.complete'), `${new Date().toISOString()}\n`);
  try {
    fs.renameSync(partial, base);
  } catch (error) {
    // Another run finished the same root first: keep theirs.
    if (!fs.existsSync(path.join(base, '.complete'))) throw error;
    fs.rmSync(partial, { recursive: true, force: true });
  }
  return base;
}

export async function createDebianRoot(
  children: Children,
  log: (line: string) => void = () => {},
): Promise<DebianRoot> {
  const base = await cachedBase(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-debian-root-'));
  await run('cp', ['-a', `${base}/.`, dir]);
  // Node and the agent read /proc (the executable's path, network routes).
  await run('mount', ['-t', 'proc', 'proc', path.join(dir, 'proc')]);
  let mounted = true;
  const inRoot = (inside: string) => path.join(dir, inside.replace(/^\/+/, ''));
  return {
    dir,
    path: inRoot,
    exec: (args, env = {}) =>
      run('chroot', [dir, ...args], { env: { ...CLEAN_ENV, ...env }, maxBuffer: 16 * 1024 * 1024 }),
    spawn: (args, env = {}) =>
      children.add(
        spawn('chroot', [dir, ...args], {
          env: { ...CLEAN_ENV, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      ),
    async remove() {
      if (mounted) {
        // Lazy: a process of the test that still holds /proc open must not keep the folder.
        await run('umount', ['-l', inRoot('/proc')]);
        mounted = false;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
