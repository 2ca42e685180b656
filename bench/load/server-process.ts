/**
 * The collector under test, as its own process: the built server (the
 * server package's `./main` entry, dist/main.js after `pnpm build`) or its
 * sources (the same entry's `seatwatch-source` file) through tsx. Configured only through its documented environment variables, with
 * logs to a file; optionally with the inspector open on loopback (profiling).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServerProcessOptions {
  from: 'dist' | 'src';
  dataDir: string;
  databaseUrl: string | null;
  logFile: string;
  /** Open the inspector on 127.0.0.1 (to profile the hold only). */
  inspect: boolean;
  poolSize: number | null;
  extraEnv: Record<string, string>;
  /** Listen on this port (a restart, for the agents to find it again); default: a free one. */
  port?: number;
  /** The admin token; default: a new random one. */
  adminToken?: string;
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
  wsUrl: string;
  adminToken: string;
  /** The inspector port when started with `inspect`. */
  inspectorPort: number | null;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<string>;
  /** SIGTERM (graceful: drain, ack, close 1001), SIGKILL after timeoutMs. */
  stop(timeoutMs: number): Promise<string>;
}

/**
 * The server package's folder and its `./main` entry under the chosen
 * condition, read from its package.json: `default` is the build, and
 * `seatwatch-source` the sources (this process runs with that condition,
 * so resolving `@seatwatch/server/main` alone would always give those).
 */
function serverEntry(from: 'dist' | 'src'): { packageDir: string; entry: string } {
  const manifest = fileURLToPath(import.meta.resolve('@seatwatch/server/package.json'));
  const main = JSON.parse(readFileSync(manifest, 'utf8')).exports['./main'];
  const packageDir = dirname(manifest);
  return { packageDir, entry: join(packageDir, from === 'dist' ? main.default : main['seatwatch-source']) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const inspectorPort = options.inspect ? await freePort() : null;
  const adminToken = options.adminToken ?? `swa_bench_${randomBytes(24).toString('base64url')}`;
  const { packageDir, entry } = serverEntry(options.from);
  if (!existsSync(entry)) {
    throw new Error(`${entry} is missing: run \`pnpm build\` first, or pass --server src`);
  }
  const nodeArgs = [
    // As `pnpm start` and the systemd unit in docs/deployment.md run it: a 32 MiB young generation
    // means fewer scavenges in a process that allocates per frame (at 5,000 agents: ack p50 61 -> 32 ms).
    '--max-semi-space-size=32',
    ...(options.from === 'src' ? ['--conditions=seatwatch-source', '--import', 'tsx'] : []),
    ...(inspectorPort ? [`--inspect=127.0.0.1:${inspectorPort}`] : []),
    entry,
  ];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    SEATWATCH_HOST: '127.0.0.1',
    SEATWATCH_PORT: String(port),
    SEATWATCH_DATA_DIR: options.dataDir,
    SEATWATCH_ADMIN_TOKEN: adminToken,
    SEATWATCH_LOG_LEVEL: 'warn',
    // The bench enrolls thousands of seats from one IP; the limit protects a real server from guessing.
    SEATWATCH_ENROLL_RATE_LIMIT_MAX: '1000000',
    SEATWATCH_RETENTION_INTERVAL_MS: '0',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...(options.poolSize ? { SEATWATCH_DATABASE_POOL_SIZE: String(options.poolSize) } : {}),
    ...options.extraEnv,
  };
  const log = createWriteStream(options.logFile);
  const child = spawn(process.execPath, nodeArgs, {
    cwd: packageDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  const url = `http://127.0.0.1:${port}`;
  const ready = await waitForReady(url, exited, 180_000);
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`the server did not become ready; see ${options.logFile}`);
  }
  return {
    child,
    pid: child.pid!,
    port,
    url,
    wsUrl: `ws://127.0.0.1:${port}/api/v1/agent/ws`,
    adminToken,
    inspectorPort,
    exited,
    async stop(timeoutMs) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const outcome = await exited;
      clearTimeout(timer);
      return outcome;
    },
  };
}

async function waitForReady(url: string, exited: Promise<string>, timeoutMs: number): Promise<boolean> {
  let gone = false;
  exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (!gone && Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}
