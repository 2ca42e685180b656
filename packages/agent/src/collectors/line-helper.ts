/**
 * A long-lived helper process that prints one reading per line (an idle-time
 * loop, an X11 property spy). Reading a cached line costs nothing, where
 * spawning a program every second from a large Node process costs several
 * milliseconds of CPU each time (fork of the whole address space).
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

export function startLineHelper(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; onLine?: (line: string) => void; now?: () => number } = {},
): LineHelper {
  const now = options.now ?? Date.now;
  const child: ChildProcess = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    windowsHide: true,
  });
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
      if (running) child.kill();
    },
  };
}
