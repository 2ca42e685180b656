/**
 * A clean Debian bookworm that really boots systemd: the minbase root of
 * debian-root.ts plus systemd, dbus, logind's PAM module and the user bus
 * (made once by debootstrap, cached beside it), copied afresh and booted with
 * `systemd-nspawn --boot`. systemd is PID 1 of the container; journald, dbus
 * and logind run; `loginctl enable-linger` gives an account its own
 * `systemd --user`. Commands run inside through nsenter into the container's
 * namespaces (machinectl needs a host systemd and machined, which this
 * machine may not have: nspawn runs with --register=no, and --keep-unit where
 * no systemd runs this machine). The container shares
 * this machine's network, so a collector on 127.0.0.1 is reachable from it.
 * Needs root and systemd-nspawn (Debian package systemd-container).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Children, hasExited, until } from '@seatwatch/testkit';
import { CLEAN_ENV, cachedBase, DEB_DEPENDS } from './debian-root.js';

const run = promisify(execFile);

/** What a desktop Debian has of systemd (the user bus too: the .deb's prerm reaches user managers over it). */
const SYSTEMD = ['systemd', 'systemd-sysv', 'dbus', 'libpam-systemd', 'dbus-user-session'];

export interface BootedDebian {
  readonly dir: string;
  readonly machine: string;
  /** A host path for a path inside the root. */
  path(inside: string): string;
  /** Runs a command inside the container as root; rejects on a non-zero exit. */
  exec(args: readonly string[], env?: Record<string, string>): Promise<{ stdout: string; stderr: string }>;
  /** Runs a command inside; resolves with its exit code and output whatever the code. */
  try(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `systemctl show` of a unit (system, or the user manager of the account `user`), as a map of its properties. */
  show(unit: string, user?: string): Promise<Record<string, string>>;
  /** The container's console and journal so far (systemd's boot messages), for failure messages. */
  console(): string;
  /** Halts the container (SIGTERM to nspawn: systemd powers off), then removes the copy. */
  remove(): Promise<void>;
}

async function exitCodeOf(promise: Promise<{ stdout: string; stderr: string }>) {
  try {
    const { stdout, stderr } = await promise;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** The container's PID 1 (on this machine's side): nspawn's child that runs systemd. */
function containerInit(nspawn: ChildProcess): number | null {
  const pid = nspawn.pid;
  if (pid === undefined) return null;
  let children: string;
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    return null;
  }
  for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
    try {
      if (fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'systemd') return child;
    } catch {
      // Gone, or not yet exec'd.
    }
  }
  return null;
}

export interface BootOptions {
  /** Folders of this machine bound read-only into the container at the same path (an X server's sockets). */
  readonly bindReadOnly?: readonly string[];
  readonly log?: (line: string) => void;
}

export async function bootDebian(children: Children, options: BootOptions = {}): Promise<BootedDebian> {
  const log = options.log ?? (() => {});
  const base = await cachedBase(log, [...DEB_DEPENDS, ...SYSTEMD]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seatwatch-systemd-root-'));
  await run('cp', ['-a', `${base}/.`, dir]);
  const machine = `sw-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(path.join(dir, 'etc/hostname'), `${machine}\n`);
  // A fresh machine id per copy, as a newly installed system gets (journald and logind key on it).
  fs.writeFileSync(path.join(dir, 'etc/machine-id'), `${randomBytes(16).toString('hex')}\n`);
  const nspawn = children.add(
    spawn(
      'systemd-nspawn',
      [
        '--boot',
        `--directory=${dir}`,
        `--machine=${machine}`,
        // Not registered with systemd-machined (commands go in through nsenter). Where this machine's
        // PID 1 is not systemd (this sandbox), there is no one to ask for a scope either: the
        // container stays in nspawn's own cgroup. (Only the latter case has been run here.)
        '--register=no',
        ...(fs.existsSync('/run/systemd/system') ? [] : ['--keep-unit']),
        '--console=pipe',
        '--resolv-conf=off',
        '--timezone=off',
        ...(options.bindReadOnly ?? []).map((folder) => `--bind-ro=${folder}`),
      ],
      { env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] },
    ),
  );
  const output: string[] = [];
  nspawn.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  nspawn.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<void>((resolve) => nspawn.once('exit', () => resolve()));
  const inRoot = (inside: string) => path.join(dir, inside.replace(/^\/+/, ''));
  let init = 0;
  const enter = (args: readonly string[], env: Record<string, string> = {}) =>
    run(
      'nsenter',
      [`--target=${init}`, '--mount', '--uts', '--ipc', '--pid', '--root', '--wd', '--', ...args],
      {
        env: { ...CLEAN_ENV, ...env },
        maxBuffer: 16 * 1024 * 1024,
      },
    );

  const removeCopy = async () => {
    if (!hasExited(nspawn)) {
      nspawn.kill('SIGTERM');
      const late = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 30_000).unref());
      if ((await Promise.race([exited, late])) === 'late' && !hasExited(nspawn)) {
        nspawn.kill('SIGKILL');
        await exited;
      }
    }
    // nspawn mounts in a mount namespace of its own: nothing of the copy is mounted here.
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    init = await until(
      'the container to run systemd',
      () => {
        if (hasExited(nspawn)) throw new Error(`systemd-nspawn ended: ${output.join('')}`);
        return containerInit(nspawn);
      },
      60_000,
    );
    const state = await until(
      'systemd in the container to finish booting',
      async () => {
        if (hasExited(nspawn)) throw new Error(`systemd-nspawn ended: ${output.join('')}`);
        const now = (await exitCodeOf(enter(['systemctl', 'is-system-running']))).stdout.trim();
        return now === 'running' || now === 'degraded' ? now : null;
      },
      120_000,
      250,
    );
    if (state === 'degraded') {
      const failed = (await enter(['systemctl', '--failed', '--no-pager', '--plain'])).stdout;
      log(`the container booted degraded:\n${failed}`);
    }
  } catch (error) {
    await removeCopy();
    throw error;
  }

  const show = async (unit: string, user?: string) => {
    // `--user -M alice@`: through the account's own bus (dbus-user-session), as the .deb's prerm does.
    const { stdout } = await enter(
      user ? ['systemctl', '--user', `--machine=${user}@`, 'show', unit] : ['systemctl', 'show', unit],
    );
    return Object.fromEntries(
      stdout
        .split('\n')
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
  };

  return {
    dir,
    machine,
    path: inRoot,
    exec: enter,
    try: (args) => exitCodeOf(enter(args)),
    show,
    console: () => output.join(''),
    remove: removeCopy,
  };
}
