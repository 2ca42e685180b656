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
 */
import { type ChildProcess, spawn } from 'node:child_process';
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
  '(while read -r _ <&3; do :; done; kill -TERM "$c" 2>/dev/null) &',
  'w=$!',
  'wait "$c"',
  's=$?',
  'kill "$w" 2>/dev/null',
  'exit "$s"',
].join('\n');

/** The wrapper's name in its own command line (`sh -c WRAPPER seatwatch-helper xprop ...`). */
export const HELPER_ARGV0 = 'seatwatch-helper';

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
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < 4096) stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    last = { line, at: now() };
    options.onLine?.(line);
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.on('error', (error) => {
      running = false;
      resolve({ code: null, stderr: error.message });
    });
    child.on('exit', (code) => {
      running = false;
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
