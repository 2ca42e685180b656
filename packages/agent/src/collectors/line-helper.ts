/**
 * A long-lived helper process that prints one reading per line (an idle-time
 * loop, an X11 property spy). Reading a cached line costs nothing, where
 * spawning a program every second from a large Node process costs several
 * milliseconds of CPU each time (fork of the whole address space).
 *
 * A helper must never outlive the agent (issue #12: `xprop -spy` helpers
 * were left running after a SIGKILL or a revoked exit). Outside Windows it
 * runs under a small `sh` wrapper whose stdin is a pipe from the agent: when
 * the agent ends in any way, even SIGKILL, the kernel closes that pipe, the
 * wrapper reads end-of-file and ends the helper. No native module is needed
 * (prctl(PR_SET_PDEATHSIG) has no well-kept npm binding, and it would only
 * cover Linux).
 *
 * The wrapper itself can be killed too (a whole session torn down, an
 * administrator's kill -9 of everything named sh): its helper then lives on.
 * So every helper this process runs, and its wrapper, is listed with its
 * exact command line (`helperProcesses()`), which the agent keeps in its
 * state folder; the next run ends the ones still running with that same
 * command line (collectors/helper-record.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createInterface } from 'node:readline';

export interface LineHelper {
  /** The newest line and when it arrived, or null before the first one. */
  latest(): { line: string; at: number } | null;
  readonly exited: Promise<{ code: number | null; stderr: string }>;
  isRunning(): boolean;
  close(): void;
}

/**
 * Runs "$@" with stdin closed, and ends it (SIGTERM) when our own stdin, the
 * agent's pipe, reaches end-of-file; exits with the helper's status. A
 * background job's stdin is /dev/null unless redirected, hence fd 3.
 */
export const HELPER_WRAPPER = [
  'exec 3<&0',
  '"$@" </dev/null &',
  'c=$!',
  // The helper's pid, for the record of helpers (the agent cannot see its grandchildren otherwise).
  'echo "seatwatch-helper-pid $c" >&2',
  '(while read -r _ <&3; do :; done; kill -TERM "$c" 2>/dev/null) &',
  'w=$!',
  'wait "$c"',
  's=$?',
  'kill "$w" 2>/dev/null',
  'exit "$s"',
].join('\n');

/** The wrapper's name in its own command line (`sh -c WRAPPER seatwatch-helper xprop ...`). */
export const HELPER_ARGV0 = 'seatwatch-helper';

/** A process this agent started, as its command line reads in /proc/<pid>/cmdline. */
export interface HelperProcess {
  readonly pid: number;
  readonly argv: readonly string[];
}

const liveHelpers = new Map<number, HelperProcess>();
const helperListeners = new Set<() => void>();
const changed = () => {
  for (const listener of helperListeners) listener();
};

/** The helper processes (and their wrappers) this process runs now. */
export function helperProcesses(): HelperProcess[] {
  return [...liveHelpers.values()];
}

/** Calls `listener` whenever a helper starts or ends; returns the unsubscribe. */
export function onHelpersChanged(listener: () => void): () => void {
  helperListeners.add(listener);
  return () => helperListeners.delete(listener);
}

/** The command line of a running process, or null (gone, not ours to read, no /proc). */
function commandLine(pid: number): string[] | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.length === 0 ? null : raw.replace(/\0$/, '').split('\0');
  } catch {
    return null;
  }
}

/** Ends the process if it still runs the recorded command line; true when it was ended. */
export function endIfOurs(helper: HelperProcess): boolean {
  if (helper.pid === process.pid) return false;
  const now = commandLine(helper.pid);
  if (now === null || now.length !== helper.argv.length || now.some((arg, i) => arg !== helper.argv[i]))
    return false;
  try {
    process.kill(helper.pid, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}

const PID_MARK = /^seatwatch-helper-pid (\d+)$/;

export function startLineHelper(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; now?: () => number } = {},
): LineHelper {
  const now = options.now ?? Date.now;
  const wrapped = process.platform !== 'win32';
  const child: ChildProcess = wrapped
    ? spawn('/bin/sh', ['-c', HELPER_WRAPPER, HELPER_ARGV0, command, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: options.env ?? process.env,
      })
    : spawn(command, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: options.env ?? process.env,
        windowsHide: true,
      });
  // The pipe is only ever closed; a write error on it (the wrapper gone) is no news.
  child.stdin?.on('error', () => {});
  let last: { line: string; at: number } | null = null;
  let running = true;
  let stderr = '';
  const own: number[] = [];
  const track = (pid: number, argv: readonly string[]) => {
    if (!running) return;
    own.push(pid);
    liveHelpers.set(pid, { pid, argv });
    changed();
  };
  if (child.pid !== undefined)
    track(
      child.pid,
      wrapped ? ['/bin/sh', '-c', HELPER_WRAPPER, HELPER_ARGV0, command, ...args] : [command, ...args],
    );
  child.stderr?.setEncoding('utf8');
  if (wrapped) {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const mark = PID_MARK.exec(line);
      if (mark) track(Number(mark[1]), [command, ...args]);
      else if (stderr.length < 4096) stderr += `${line}\n`;
    });
  } else {
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
  }
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    last = { line, at: now() };
    options.onLine?.(line);
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('error', (error) => {
      running = false;
      for (const pid of own) liveHelpers.delete(pid);
      changed();
      resolve({ code: null, stderr: error.message });
    });
    child.on('exit', (code) => {
      running = false;
      // A wrapper that was killed leaves its helper running: end it here, while we know it.
      for (const pid of own.slice(1)) {
        const helper = liveHelpers.get(pid);
        if (helper) endIfOurs(helper);
      }
      for (const pid of own) liveHelpers.delete(pid);
      changed();
      resolve({ code, stderr: stderr.trim() });
    });
  });
  return {
    latest: () => last,
    exited,
    isRunning: () => running,
    close: () => {
      if (!running) return;
      // End-of-file tells the wrapper to end the helper and exit with it; the signal covers the rest.
      child.stdin?.end();
      child.kill();
    },
  };
}
