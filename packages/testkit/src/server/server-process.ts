/**
 * The collector as a child process (the server package's `./main` entry, its
 * sources run through tsx, exactly as `seatwatch-server` starts; or its build), for what only a real
 * process shows: a start on an empty data folder, SIGKILL between frames, restarts, several processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerEndpoint } from './test-agent.js';
import { httpJson } from './test-server.js';

/** The workspace root, where `pnpm start` runs the server. */
const WORKSPACE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MAIN = fileURLToPath(import.meta.resolve('@seatwatch/server/main'));
const TSX = createRequire(import.meta.url).resolve('tsx');

/**
 * The built entry (`./main`'s default export, dist/main.js after `pnpm build`), read from the server's
 * package.json: this process runs under the `seatwatch-source` condition, so resolving the entry alone
 * always gives the sources.
 */
function builtMain(): string {
  const manifest = fileURLToPath(import.meta.resolve('@seatwatch/server/package.json'));
  const entry = JSON.parse(readFileSync(manifest, 'utf8')).exports['./main'].default as string;
  const main = join(dirname(manifest), entry);
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`pnpm build\` first`);
  return main;
}

export interface SpawnOptions {
  /**
   * `src` (the default): the sources through tsx. `dist`: the build, as `pnpm start` and the systemd
   * unit run it; it starts in about half the time, which counts when a test starts several.
   */
  from?: 'src' | 'dist';
}

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
  options: SpawnOptions = {},
): Promise<ServerProcess> {
  const args =
    options.from === 'dist'
      ? ['--max-semi-space-size=32', builtMain()]
      : ['--conditions=seatwatch-source', '--import', TSX, MAIN];
  const child = spawn(process.execPath, args, {
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
