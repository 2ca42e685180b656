/**
 * The memory settings of the systemd unit, however the agent is started
 * (issue #12). glibc reads MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ once,
 * when the process starts; without them freed screenshot buffers stay
 * resident in per-thread arenas and `run` grows past 200 MB (docs/agent.md,
 * "Footprint"). So `run` (and machine mode's `service` and `session`)
 * started from a terminal or an autostart entry without them starts itself
 * again, once, with them set:
 *
 * - where Node has `process.execve` (22.15+, 23.11+), the process image is
 *   replaced: same pid, nothing in between;
 * - otherwise (Node 20) a child runs the agent with the terminal's stdio;
 *   this process only forwards SIGINT, SIGTERM and SIGHUP to it and ends
 *   with its exit code, or its signal. The child holds a pipe from it on fd
 *   3: if this launcher is killed outright, the child sees end-of-file and
 *   stops as on a signal.
 *
 * SEATWATCH_MALLOC_RELAUNCHED marks the relaunched process, so it never
 * relaunches again (whatever the environment then says).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

export const MALLOC_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '65536',
});
export const RELAUNCH_MARK = 'SEATWATCH_MALLOC_RELAUNCHED';
/** The commands that keep running and collect: `run`, and machine mode's `service` and `session` (issue #14). */
const LONG_RUNNING = new Set(['run', 'service', 'session']);

/** The environment to start `run` again with, or null to go on as is (pure). */
export function relaunchEnv(
  platform: NodeJS.Platform,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv | null {
  if (platform !== 'linux' || !LONG_RUNNING.has(argv[0] ?? '') || env[RELAUNCH_MARK]) return null;
  const missing = Object.keys(MALLOC_SETTINGS).filter((name) => env[name] === undefined);
  if (missing.length === 0) return null;
  const added = Object.fromEntries(missing.map((name) => [name, MALLOC_SETTINGS[name]!]));
  return { ...env, ...added, [RELAUNCH_MARK]: '1' };
}

type Execve = (file: string, args: string[], env: NodeJS.ProcessEnv) => never;

/**
 * Starts this program again with `env` and resolves with the exit code this
 * process must end with; with execve it never returns.
 */
export function relaunch(env: NodeJS.ProcessEnv): Promise<number> {
  const args = [...process.execArgv, ...process.argv.slice(1)];
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (typeof execve === 'function') execve(process.execPath, [process.execPath, ...args], env);
  const child = spawn(process.execPath, args, {
    env: { ...env, [RELAUNCH_MARK]: 'child' },
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
  });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
    const handler = forward(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return new Promise((resolve) => {
    child.once('error', () => resolve(1));
    child.once('exit', (code, signal) => {
      for (const [name, handler] of handlers) process.off(name, handler);
      // Ended by a signal: end the same way, so a service manager sees what happened.
      if (signal) process.kill(process.pid, signal);
      resolve(code ?? 1);
    });
  });
}

/** In the relaunched child (Node 20): calls `onGone` when the launcher's end of fd 3 closes. */
export function watchLauncher(env: NodeJS.ProcessEnv, onGone: () => void): void {
  if (env[RELAUNCH_MARK] !== 'child') return;
  // fd 3 is a socket pair (what spawn's 'pipe' makes), non-blocking: a net.Socket reads it, a file stream would not.
  const pipe = new net.Socket({ fd: 3, readable: true, writable: false });
  pipe.on('data', () => {});
  pipe.once('close', onGone);
  pipe.unref();
}
