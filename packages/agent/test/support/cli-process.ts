/** Runs `seatwatch-agent` (src/main.ts through tsx) as a real child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { confirmNoticesFromStdout } from '@seatwatch/testkit/agent';
import { tsNodeArgs } from './child-process.js';

const MAIN = path.join(import.meta.dirname, '../../src/main.ts');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliChild {
  readonly child: ChildProcess;
  readonly result: Promise<CliRun>;
  /** Resolves when stdout has printed text matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/**
 * With the systemd unit's malloc settings unless `unitMalloc: false`: without
 * them `run` relaunches itself with them, and the child would be a launcher.
 */
export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { unitMalloc?: boolean } = {},
): CliChild {
  const malloc =
    options.unitMalloc === false ? {} : { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' };
  const child = spawn(process.execPath, [...tsNodeArgs(), MAIN, ...args], {
    // No display: the real probes report "unavailable", as on a headless seat.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', ...malloc, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const confirm = confirmNoticesFromStdout();
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    // The operator presses the local page's button for each notice (the agent collects nothing before).
    confirm(stdout);
    for (const check of waiters) check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const result = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    result,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no output matching ${pattern} within ${timeoutMs} ms; stdout: ${stdout}\nstderr: ${stderr}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          const match = pattern.exec(stdout);
          if (!match) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(match[0]);
        };
        waiters.add(check);
        check();
        result.then(() => {
          if (waiters.has(check)) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(
              new Error(`process ended before printing ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`),
            );
          }
        });
      });
    },
  };
}

export function runCliToEnd(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return startCli(args, env).result;
}
