/**
 * What the anomaly rules engine adds to the cost of ingest (issue #5:
 * under 5 % at the collector's target load).
 *
 * One PostgreSQL database, one set of enrolled seats, and rounds that
 * alternate the collector with the engine on and off (the same build, a
 * fresh server process per round: `anomalies: { engine: false }` is the
 * only difference). In each round every simulated agent connects over a real
 * WebSocket, says a signed hello and sends signed batches of realistic seat
 * events (and 50 KB screenshots) at the configured rate; the agents are
 * bench/load's, in generator processes of their own, so that the server,
 * not the load, is the bottleneck even at 5,000 seats. After a warm-up,
 * the measurement window records the server process's CPU time, the CPU time
 * of the PostgreSQL backends serving it, the events acknowledged, and ack
 * latency. Cost = CPU ms per 1,000 acknowledged events; the report gives the
 * median of each mode over its rounds and the ratio on/off.
 *
 * The project is set up so that the rules have real work: every seat is in
 * a team with a shift schedule (so off_hours, long_idle, agent_stopped
 * consult it), a deny list is evaluated against every foreground span, and
 * the workload's occasional unapproved USB receiver raises unknown_device.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { toBase64 } from '@seatwatch/shared';
import pg from 'pg';
import { generateAgentKeys, requestJson } from '../load/enrollment.js';
import { forkGenerator } from '../load/generator-client.js';
import type { GeneratorConfig, GeneratorStats } from '../load/generator-messages.js';
import { mergeSnapshots } from '../load/latency-histogram.js';
import { readCpuSeconds } from '../load/proc-sampler.js';
import { seatIdentity } from '../load/seat-workload.js';
import type { ChildMessage, ChildOptions } from './server-child.js';

const here = dirname(fileURLToPath(import.meta.url));

interface Options {
  agents: number;
  rounds: number;
  warmupSeconds: number;
  measureSeconds: number;
  batchIntervalMs: number;
  eventsPerBatch: number;
  screenshotIntervalMs: number;
  screenshotKb: number;
  connectPerSecond: number;
  generators: number;
  /** Which modes each round runs (both by default; one alone only to study it, e.g. with a profile). */
  modes: boolean[];
  /** Write a V8 CPU profile of every server child (its whole life) into this folder. */
  cpuProfDir: string | null;
  pgUrl: string;
  out: string | null;
}

function parseOptions(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: argv.filter((arg, i) => !(arg === '--' && i === 0)),
    options: {
      agents: { type: 'string' },
      rounds: { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'measure-seconds': { type: 'string' },
      'batch-interval-ms': { type: 'string' },
      'events-per-batch': { type: 'string' },
      'screenshot-interval-ms': { type: 'string' },
      'screenshot-kb': { type: 'string' },
      'connect-rate': { type: 'string' },
      generators: { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      modes: { type: 'string' },
      'pg-url': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const int = (value: string | undefined, fallback: number) =>
    value === undefined ? fallback : Number(value);
  return {
    agents: int(values.agents, 1000),
    rounds: int(values.rounds, 3),
    warmupSeconds: int(values['warmup-seconds'], 15),
    measureSeconds: int(values['measure-seconds'], 45),
    batchIntervalMs: int(values['batch-interval-ms'], 5000),
    eventsPerBatch: int(values['events-per-batch'], 10),
    screenshotIntervalMs: int(values['screenshot-interval-ms'], 300_000),
    screenshotKb: int(values['screenshot-kb'], 50),
    connectPerSecond: int(values['connect-rate'], 250),
    // The simulated agents run in processes of their own (bench/load's generators): one
    // process signing and parsing for 5,000 agents falls behind and drops its sockets.
    generators: int(values.generators, 2),
    cpuProfDir: values['cpu-prof-dir'] ?? null,
    modes: (values.modes ?? 'on,off').split(',').map((mode) => mode.trim() === 'on'),
    pgUrl: values['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    out: values.out ?? null,
  };
}

interface Seat {
  agentId: string;
  index: number;
  /** Base64 of the 64-byte secret key, as the generators take it. */
  secretKey: string;
  noticeVersion: number;
  serverPublicKey: string;
}

interface Identity {
  serverSecretKey: string;
  adminToken: string;
  blobKey: string;
}

// ---- the server child ----------------------------------------------------------------------

interface Child {
  process: ChildProcess;
  url: string;
  wsUrl: string;
  cpu(): Promise<{ seconds: number; eventLoopUtilization: number; heapUsedMiB: number; rssMiB: number }>;
  stop(): Promise<void>;
}

async function startChild(options: ChildOptions, cpuProfDir: string | null): Promise<Child> {
  const profile = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = fork(join(here, 'server-child.ts'), [JSON.stringify(options)], {
    // The same young-generation size as `pnpm start` and bench/load run the collector with.
    execArgv: ['--max-semi-space-size=32', ...profile, '--conditions=seatwatch-source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T extends ChildMessage['type']>(type: T) =>
    new Promise<Extract<ChildMessage, { type: T }>>((resolve, reject) => {
      const onMessage = (message: ChildMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as Extract<ChildMessage, { type: T }>);
      };
      const onExit = (code: number | null) =>
        reject(new Error(`server child exited (${code}) before "${type}"`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { port } = await next('ready');
  return {
    process: child,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/api/v1/agent/ws`,
    async cpu() {
      const answer = next('cpu');
      child.send({ type: 'cpu' });
      const { userMicros, systemMicros, eventLoopUtilization, heapUsedBytes, rssBytes } = await answer;
      const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
      return {
        seconds: (userMicros + systemMicros) / 1e6,
        eventLoopUtilization,
        heapUsedMiB: mib(heapUsedBytes),
        rssMiB: mib(rssBytes),
      };
    },
    async stop() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const code = await exited;
      // The measurement is over by now; a shutdown that fails under load is reported, not fatal to the run.
      if (code !== 0) console.error(`server child exited with ${code} while shutting down`);
    },
  };
}

// ---- setup: one project, a team with a shift, rule settings, enrolled seats ----------------

async function setUp(
  child: Child,
  options: Options,
  adminToken: string,
): Promise<{ projectId: string; seats: Seat[] }> {
  const headers = { authorization: `Bearer ${adminToken}` };
  const ok = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await requestJson<T>(method, `${child.url}${path}`, body, headers);
    if (answer.status < 200 || answer.status >= 300) {
      throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  };
  const project = await ok<{ id: string }>('POST', '/api/v1/admin/projects', {
    name: `anomaly-bench-${Date.now()}`,
  });
  const team = await ok<{ id: string }>('POST', `/api/v1/admin/projects/${project.id}/teams`, {
    name: 'day shift',
  });
  // A shift around the clock: the bench runs at any hour, and every shift-aware rule still consults it.
  await ok('PUT', `/api/v1/anomalies/projects/${project.id}/teams/${team.id}/schedule`, {
    timeZone: 'Europe/Paris',
    weekly: [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '00:00', end: '00:00' })),
    exceptions: [{ date: '2026-12-25', intervals: [], note: 'closed' }],
  });
  await ok('PUT', `/api/v1/anomalies/projects/${project.id}/rules/prohibited_app`, {
    config: {
      denyList: [
        { pattern: 'steam.exe', field: 'app', match: 'exact', label: 'Games' },
        { pattern: 'poker', field: 'title', match: 'contains', label: 'Gambling' },
        { pattern: 'torrent', field: 'any', match: 'contains', label: 'File sharing' },
        { pattern: 'whatsapp', field: 'any', match: 'contains', label: 'Private messaging' },
      ],
    },
  });
  const { token } = await ok<{ token: string }>('POST', `/api/v1/admin/projects/${project.id}/tokens`, {
    maxUses: options.agents + 10,
    expiresInHours: 24,
  });
  const seats: Seat[] = [];
  const queue = Array.from({ length: options.agents }, (_, i) => i);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let index = queue.shift(); index !== undefined; index = queue.shift()) {
        const identity = seatIdentity(index);
        await ok('POST', `/api/v1/admin/projects/${project.id}/seats`, {
          name: identity.hostname,
          teamId: team.id,
        });
        const keys = generateAgentKeys();
        const enrolled = await ok<{
          agentId: string;
          serverPublicKey: string;
          notice: { version: number };
        }>('POST', '/api/v1/enroll', {
          token,
          publicKey: toBase64(keys.publicKey),
          hostname: identity.hostname,
          os: 'windows 11',
          osUser: identity.osUser,
          agentVersion: 'bench',
        });
        seats.push({
          agentId: enrolled.agentId,
          index,
          secretKey: toBase64(keys.secretKey),
          noticeVersion: enrolled.notice.version,
          serverPublicKey: enrolled.serverPublicKey,
        });
      }
    }),
  );
  return { projectId: project.id, seats: seats.sort((a, b) => a.index - b.index) };
}

// ---- simulated agents ----------------------------------------------------------------------

interface Traffic {
  /** Stats of every generator, asked for now. */
  report(): Promise<GeneratorStats[]>;
  /** Frames made from now on count in holdLatency. */
  measure(): void;
  close(): Promise<void>;
}

/** Forks the generators, connects every seat, and resolves once all are welcomed. */
async function startTraffic(child: Child, seats: readonly Seat[], options: Options): Promise<Traffic> {
  const generators = Array.from({ length: options.generators }, (_, g) => {
    // A fatal error also rejects the report() the round is waiting on, which ends the run.
    const generator = forkGenerator((message) => console.error(`generator ${g} failed: ${message}`));
    const config: GeneratorConfig = {
      wsUrl: child.wsUrl,
      serverPublicKey: seats[0]!.serverPublicKey,
      agents: seats
        .filter((seat) => seat.index % options.generators === g)
        .map(({ index, agentId, secretKey, noticeVersion }) => ({
          index,
          agentId,
          secretKey,
          noticeVersion,
        })),
      localAddresses: ['127.0.0.1'],
      connectPerSecond: options.connectPerSecond / options.generators,
      batchIntervalMs: options.batchIntervalMs,
      eventsPerBatch: options.eventsPerBatch,
      batchJitter: 0.1,
      screenshotIntervalMs: options.screenshotIntervalMs,
      screenshotJitter: 0.1,
      screenshotBytes: options.screenshotKb * 1024,
      verifyAcks: 0.05,
      // Seeds as bench/load's (its screenshot fits 50 KB with these).
      seed: 1 + g,
    };
    generator.send({ type: 'start', config });
    return generator;
  });
  const report = () => Promise.all(generators.map((g) => g.report()));
  const deadline = Date.now() + 60_000 + (seats.length / options.connectPerSecond) * 3000;
  for (;;) {
    const connected = (await report()).reduce((sum, s) => sum + s.connected, 0);
    if (connected === seats.length) break;
    if (Date.now() > deadline) throw new Error(`only ${connected} of ${seats.length} seats connected`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    report,
    measure() {
      for (const g of generators) g.send({ type: 'phase', phase: 'hold' });
    },
    async close() {
      for (const g of generators) g.send({ type: 'close' });
      await Promise.all(generators.map((g) => g.exited));
    },
  };
}

// ---- PostgreSQL backends of the bench database ---------------------------------------------

async function backendCpuSeconds(admin: pg.Client, database: string): Promise<Map<number, number>> {
  const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [
    database,
  ]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const seconds = readCpuSeconds(pid);
    if (seconds !== null) out.set(pid, seconds);
  }
  return out;
}

function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let used = 0;
  // A backend that appeared during the window spent all its CPU time inside it.
  for (const [pid, seconds] of after) used += seconds - (before.get(pid) ?? 0);
  return used;
}

// ---- a round -------------------------------------------------------------------------------

interface RoundResult {
  round: number;
  engine: 'on' | 'off';
  seconds: number;
  eventsAcked: number;
  framesAcked: number;
  eventsPerSecond: number;
  serverCpuSeconds: number;
  databaseCpuSeconds: number;
  serverCpuMsPer1kEvents: number;
  totalCpuMsPer1kEvents: number;
  serverEventLoopUtilization: number;
  /** At the window's start and end. */
  serverHeapUsedMiB: [number, number];
  serverRssMiB: [number, number];
  ackP50Ms: number | null;
  ackP99Ms: number | null;
  /** Socket trouble from the first connection to the window's start (the connect storm and warm-up), and inside the window (must stay empty). */
  beforeWindow: SocketTrouble;
  inWindow: SocketTrouble;
  loadAverage1m: number;
}

async function runRound(
  round: number,
  engine: boolean,
  context: {
    options: Options;
    identity: Identity;
    databaseUrl: string;
    databaseName: string;
    dataDir: string;
    seats: readonly Seat[];
    admin: pg.Client;
  },
): Promise<RoundResult> {
  const { options } = context;
  const child = await startChild(
    {
      databaseUrl: context.databaseUrl,
      dataDir: context.dataDir,
      engine,
      ...context.identity,
    },
    options.cpuProfDir,
  );
  let traffic: Traffic | null = null;
  try {
    traffic = await startTraffic(child, context.seats, options);
    await new Promise((r) => setTimeout(r, options.warmupSeconds * 1000));
    traffic.measure();
    const sum = (stats: GeneratorStats[], pick: (s: GeneratorStats) => number) =>
      stats.reduce((total, s) => total + pick(s), 0);
    const before = await traffic.report();
    const cpu0 = await child.cpu();
    const db0 = await backendCpuSeconds(context.admin, context.databaseName);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, options.measureSeconds * 1000));
    const cpu1 = await child.cpu();
    const db1 = await backendCpuSeconds(context.admin, context.databaseName);
    const after = await traffic.report();
    const seconds = (performance.now() - t0) / 1000;
    const eventsAcked = sum(after, (s) => s.eventsAcked) - sum(before, (s) => s.eventsAcked);
    const framesAcked = sum(after, (s) => s.framesAcked) - sum(before, (s) => s.framesAcked);
    const latency = mergeSnapshots(after.map((s) => s.holdLatency));
    const serverCpuSeconds = cpu1.seconds - cpu0.seconds;
    const databaseCpuSeconds = cpuBetween(db0, db1);
    const per1k = (cpuSeconds: number) =>
      Math.round(((cpuSeconds * 1000) / (eventsAcked / 1000)) * 1000) / 1000;
    return {
      round,
      engine: engine ? 'on' : 'off',
      seconds: Math.round(seconds * 10) / 10,
      eventsAcked,
      framesAcked,
      eventsPerSecond: Math.round(eventsAcked / seconds),
      serverCpuSeconds: Math.round(serverCpuSeconds * 1000) / 1000,
      databaseCpuSeconds: Math.round(databaseCpuSeconds * 1000) / 1000,
      serverCpuMsPer1kEvents: per1k(serverCpuSeconds),
      totalCpuMsPer1kEvents: per1k(serverCpuSeconds + databaseCpuSeconds),
      serverEventLoopUtilization: Math.round(cpu1.eventLoopUtilization * 1000) / 1000,
      serverHeapUsedMiB: [cpu0.heapUsedMiB, cpu1.heapUsedMiB],
      serverRssMiB: [cpu0.rssMiB, cpu1.rssMiB],
      ackP50Ms: latency.percentile(50),
      ackP99Ms: latency.percentile(99),
      beforeWindow: {
        unaskedCloses: mergeCounts(before.map((s) => s.closes)),
        serverErrors: mergeCounts(before.map((s) => s.serverErrors)),
        connectErrors: mergeCounts(before.map((s) => s.connectErrors)),
      },
      inWindow: {
        unaskedCloses: countsBetween(before, after, (s) => s.closes),
        serverErrors: countsBetween(before, after, (s) => s.serverErrors),
        connectErrors: countsBetween(before, after, (s) => s.connectErrors),
      },
      loadAverage1m: Math.round(loadavg()[0]! * 100) / 100,
    };
  } finally {
    await traffic?.close();
    await child.stop();
  }
}

/** What went wrong with the sockets: closes the agents did not ask for (by close code), server errors and failed connections (by code). */
interface SocketTrouble {
  unaskedCloses: Record<string, number>;
  serverErrors: Record<string, number>;
  connectErrors: Record<string, number>;
}

function countsBetween(
  before: readonly GeneratorStats[],
  after: readonly GeneratorStats[],
  pick: (s: GeneratorStats) => Record<string, number>,
): Record<string, number> {
  const start = mergeCounts(before.map(pick));
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(mergeCounts(after.map(pick)))) {
    if (v - (start[k] ?? 0) > 0) out[k] = v - (start[k] ?? 0);
  }
  return out;
}

function mergeCounts(counts: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of counts) for (const [k, v] of Object.entries(c)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const databaseName = `seatwatch_bench_anomalies_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: options.pgUrl });
  await admin.connect();
  await admin.query(`create database ${databaseName}`);
  const url = new URL(options.pgUrl);
  url.pathname = `/${databaseName}`;
  const databaseUrl = url.toString();
  const dataDir = mkdtempSync(join(tmpdir(), 'seatwatch-bench-anomalies-'));
  const identity: Identity = {
    serverSecretKey: Buffer.from(generateAgentKeys().secretKey).toString('hex'),
    adminToken: `swa_bench_${randomBytes(24).toString('base64url')}`,
    blobKey: randomBytes(32).toString('hex'),
  };
  const startedAt = new Date();
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  try {
    console.log(`setting up ${options.agents} seats in ${databaseName}`);
    const setupChild = await startChild({ databaseUrl, dataDir, engine: true, ...identity }, null);
    // A failed stop must not hide why the setup failed.
    const { seats } = await setUp(setupChild, options, identity.adminToken).finally(() =>
      setupChild.stop().catch((error: unknown) => console.error('stopping the setup server failed:', error)),
    );
    // Planner statistics for the fresh agents and seats, as autovacuum would have them on a running
    // system (the first round's extra cost, below, stayed the same with them).
    const analyzer = new pg.Client({ connectionString: databaseUrl });
    await analyzer.connect();
    await analyzer.query('analyze').finally(() => analyzer.end());
    const context = {
      options,
      identity,
      databaseUrl,
      databaseName,
      dataDir,
      seats,
      admin,
    };
    // The first round on a fresh database costs about twice the server CPU and 30-60 s of PostgreSQL
    // CPU, where every later round, engine on or off, costs under 3 s: it measures the database's
    // first minutes, not the engine (docs/benchmarks.md). It is run and printed, and not counted.
    const warmup = await runRound(-1, true, context);
    console.log(JSON.stringify({ notCounted: 'first round on a fresh database', ...warmup }));
    const results: RoundResult[] = [];
    for (let round = 0; round < options.rounds; round++) {
      // Alternate which mode goes first, so a slow drift of the machine favours neither.
      const order = (round % 2 === 0 ? [true, false] : [false, true]).filter((mode) =>
        options.modes.includes(mode),
      );
      for (const engine of order) {
        const result = await runRound(round, engine, context);
        results.push(result);
        console.log(JSON.stringify(result));
      }
    }
    const summary = (mode: 'on' | 'off') => {
      const of = results.filter((r) => r.engine === mode);
      return {
        serverCpuMsPer1kEvents: median(of.map((r) => r.serverCpuMsPer1kEvents)),
        totalCpuMsPer1kEvents: median(of.map((r) => r.totalCpuMsPer1kEvents)),
        eventsPerSecond: median(of.map((r) => r.eventsPerSecond)),
        ackP50Ms: median(of.map((r) => r.ackP50Ms ?? 0)),
        ackP99Ms: median(of.map((r) => r.ackP99Ms ?? 0)),
      };
    };
    const on = summary('on');
    const off = summary('off');
    const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
    const report = {
      benchmark: 'anomaly engine overhead on ingest',
      startedAt: startedAt.toISOString(),
      options: { ...options, pgUrl: undefined },
      machine: {
        loadAverageAtStart: loadAtStart,
        loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
      },
      medians: { on, off },
      ratios: {
        serverCpuPerEvent: ratio(on.serverCpuMsPer1kEvents, off.serverCpuMsPer1kEvents),
        totalCpuPerEvent: ratio(on.totalCpuMsPer1kEvents, off.totalCpuMsPer1kEvents),
        ackP99: ratio(on.ackP99Ms, off.ackP99Ms),
      },
      warmupRound: warmup,
      rounds: results,
    };
    const out =
      options.out ??
      join(
        here,
        '..',
        'results',
        `anomalies-${options.agents}a-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`,
      );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(JSON.stringify({ medians: report.medians, ratios: report.ratios }, null, 2));
    console.log(`written to ${out}`);
  } finally {
    await admin.query(`drop database if exists ${databaseName} with (force)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
