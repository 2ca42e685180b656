/**
 * `seatwatch-agent` as a real child process (the agent package's `./main`
 * entry: its sources through tsx under the `seatwatch-source` condition, the
 * way the seat runs the built CLI), with what it prints:
 * stdout for the operator, stderr as JSON log lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Children } from '../children.js';
import { confirmNoticesFromStdout } from './notice-confirmation.js';

const MAIN = fileURLToPath(import.meta.resolve('@seatwatch/agent/main'));
const TSX = createRequire(import.meta.url).resolve('tsx');

/** What packages/agent/service/seatwatch-agent.service sets. */
const UNIT_MALLOC = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '65536' };

export type LogLine = { time: string; level: string; message: string } & Record<string, unknown>;

export interface AgentProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** stderr's JSON log lines so far. */
  logs(): LogLine[];
  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

/**
 * `confirmNotice` (default true): the operator presses the local page's
 * button for every notice the agent prints, so collection starts; false
 * leaves the notice waiting (the test confirms it itself, e.g. in a dialog).
 *
 * The environment has the systemd unit's malloc settings unless
 * `unitMalloc: false`: without them `run` starts itself again with them
 * (issue #12), and the child here would be a launcher, not the agent, which
 * tests that kill "the agent" must not get.
 */
export function startAgentProcess(
  children: Children,
  args: readonly string[],
  env: Record<string, string>,
  options: {
    confirmNotice?: boolean;
    unitMalloc?: boolean;
    /** Run as this OS account (the test runs as root): a session part on a shared computer (issue #14). */
    as?: { readonly uid: number; readonly gid: number };
    /**
     * Run in this network namespace (`ip netns exec`, which execs the agent: the child's pid is
     * the agent's), as a seat on another host (test/resilience/network-cut.desktop.test.ts).
     */
    netns?: string;
  } = {},
): AgentProcess {
  const confirm = options.confirmNotice === false ? null : confirmNoticesFromStdout();
  const malloc = options.unitMalloc === false ? {} : UNIT_MALLOC;
  const node = [process.execPath, '--conditions=seatwatch-source', '--import', TSX, MAIN, ...args];
  const [command, ...argv] = options.netns ? ['ip', 'netns', 'exec', options.netns, ...node] : node;
  const child = children.add(
    spawn(command!, argv, {
      env: { HOME: process.env.HOME ?? '/root', ...malloc, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.as ? { uid: options.as.uid, gid: options.as.gid } : {}),
    }),
  );
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    confirm?.(out);
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const describe = () => `stdout:\n${out}\nstderr:\n${err}`;
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    logs: () =>
      err
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine),
    waitForStdout(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`the agent printed nothing matching ${pattern} in ${timeoutMs} ms\n${describe()}`),
          );
        }, timeoutMs);
        const check = () => {
          const match = pattern.exec(out);
          if (!match) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(match);
        };
        listeners.add(check);
        check();
        exited.then(({ code, signal }) => {
          if (!listeners.delete(check)) return;
          clearTimeout(timer);
          reject(new Error(`the agent exited (${code ?? signal}) before printing ${pattern}\n${describe()}`));
        });
      });
    },
  };
}

/** Runs one agent command to its end (enroll, status). */
export async function runAgentCommand(
  children: Children,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const agent = startAgentProcess(children, args, env, { confirmNotice: false });
  const { code } = await agent.exited;
  return { code, stdout: agent.stdout(), stderr: agent.stderr() };
}
