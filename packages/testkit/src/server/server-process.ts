/**
 * The collector as a child process (the server package's `./main` entry, its
 * sources run through tsx, exactly as `seatwatch-server` starts), for what only a real process shows: a start
 * on an empty data folder, SIGKILL between frames, restarts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ServerEndpoint } from './test-agent.js';
import { httpJson } from './test-server.js';

/** The workspace root, where `pnpm start` runs the server. */
const WORKSPACE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(import.meta.resolve('@seatwatch/server/main'));
const TSX = createRequire(import.meta.url).resolve('tsx');

export interface ServerProcess extends ServerEndpoint {
  readonly child: ChildProcess;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts the server with `env` on top of this process's environment (give it
 * SEATWATCH_DATA_DIR, and DATABASE_URL for PostgreSQL); resolves once it
 * prints its banner. Port 0 unless SEATWATCH_PORT says otherwise.
 */
export async function spawnServer(
  env: Record<string, string>,
  adminToken?: () => string,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--conditions=seatwatch-source', '--import', TSX, MAIN], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, SEATWATCH_PORT: '0', SEATWATCH_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /Listening on:\s+(http:\/\/[\d.]+:\d+)/.exec(stdout);
      if (match) {
        child.stdout!.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    exited.then(({ code, signal }) =>
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${stdout}\n${stderr}`)),
    );
  });
  let token: string | null = null;
  const bearer = () => {
    token ??= adminToken ? adminToken() : (env.SEATWATCH_ADMIN_TOKEN ?? '');
    return token;
  };
  const admin = <T>(method: string, path: string, body?: unknown) =>
    httpJson<T>(method, `${url}/api/v1/admin${path}`, body, {
      headers: { authorization: `Bearer ${bearer()}` },
    });
  return {
    child,
    url,
    wsUrl: `${url.replace('http', 'ws')}/api/v1/agent/ws`,
    admin,
    async adminOk<T>(method: string, path: string, body?: unknown) {
      const answer = await admin<T>(method, path, body);
      if (answer.status < 200 || answer.status >= 300) {
        throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      return answer.body;
    },
    output: () => ({ stdout, stderr }),
    exited,
  };
}
