/** Command-line options of the load benchmark, validated once. */
import { parseArgs } from 'node:util';

export interface LoadOptions {
  agents: number;
  /** Hold period, measured after every agent is connected. */
  minutes: number;
  db: 'postgres' | 'pglite';
  server: 'dist' | 'src';
  connectPerSecond: number;
  batchIntervalMs: number;
  eventsPerBatch: number;
  batchJitter: number;
  screenshotIntervalMs: number;
  screenshotJitter: number;
  screenshotBytes: number;
  generators: number;
  verifyAcks: number;
  sourceAddresses: number;
  enrollConcurrency: number;
  drainSeconds: number;
  progressSeconds: number;
  poolSize: number | null;
  pgAdminUrl: string;
  /** An existing database to run on (one the sixty-days bench kept); never created or dropped here. */
  databaseUrl: string | null;
  profile: boolean;
  /** Server processes sharing the database (generator g speaks to process g mod N). */
  processes: number;
  /** After the hold: restart the server(s) and measure the agents' reconnection (the connect storm). */
  storm: boolean;
  logStatements: boolean;
  ceilings: boolean;
  keep: boolean;
  seed: number;
  out: string | null;
}

export const USAGE = `Usage: pnpm --filter @seatwatch/bench load -- [options]

  --agents N               simulated agents (default 100)
  --minutes M              hold period once all are connected (default 1)
  --db postgres|pglite     database behind the server (default postgres)
  --server dist|src        run packages/server/dist (after \`pnpm build\`) or its sources via tsx (default dist)
  --connect-rate N         new connections per second while ramping up (default 250)
  --batch-interval-ms N    per agent (default 5000), jittered by --batch-jitter (default 0.1)
  --events-per-batch N     (default 10)
  --screenshot-interval-ms N  per agent (default 300000), jittered by --screenshot-jitter (default 0.2)
  --screenshot-kb N        screenshot size (default 50)
  --generators N           generator processes (default: --processes)
  --processes N            server processes on the same database and data folder (default 1; postgres);
                           generator g connects to process g mod N, so give at least N generators
  --storm                  after the hold, restart the server process(es) and measure the connect
                           storm: every agent back (target 60 s) and its handshake p99 (target 5 s)
  --verify-acks F          share of acks whose signature the agents verify (default 0.05; all other
                           server messages are always verified)
  --source-addresses N     local addresses 127.0.0.1..N to connect from (default: 1 per 20,000 agents)
  --enroll-concurrency N   parallel enrollments (default 16)
  --drain-seconds N        how long to wait for the last acks (default 60)
  --progress-seconds N     progress line interval (default 5)
  --pool-size N            the server's PostgreSQL pool size (default: the server's own)
  --pg-url URL             maintenance database used to create and drop the bench database
                           (default postgres://postgres@127.0.0.1:5432/postgres)
  --database-url URL       run the server on this existing database instead of a fresh one (for example
                           the one \`BENCH_KEEP_DB=1 pnpm --filter @seatwatch/bench sixty-days\` kept):
                           the agents enroll into a project of their own; it is neither created nor
                           dropped here, and the insert ceiling is measured in a scratch database
  --profile                profile the server during the hold (V8 sampling profiler through
                           --inspect on loopback) and summarise where its time went
  --log-statements         (postgres) log every statement of the bench database and count, per statement
                           text, what the server sent while connecting and in the hold (diagnostics:
                           it slows PostgreSQL down)
  --no-ceilings            skip the raw ceilings (crypto, inserts)
  --keep                   keep the bench database and data folder
  --seed N                 traffic seed (default 1)
  --out FILE               result file (default bench/results/load-<db>-<agents>a-<time>.json)
`;

export function parseLoadOptions(argv: readonly string[]): LoadOptions {
  // pnpm passes a literal "--" through to the script; it is not an option terminator here.
  const args = argv.filter((arg, i) => !(arg === '--' && i === 0));
  const { values } = parseArgs({
    args,
    options: {
      agents: { type: 'string' },
      minutes: { type: 'string' },
      db: { type: 'string' },
      server: { type: 'string' },
      'connect-rate': { type: 'string' },
      'batch-interval-ms': { type: 'string' },
      'events-per-batch': { type: 'string' },
      'batch-jitter': { type: 'string' },
      'screenshot-interval-ms': { type: 'string' },
      'screenshot-jitter': { type: 'string' },
      'screenshot-kb': { type: 'string' },
      generators: { type: 'string' },
      'verify-acks': { type: 'string' },
      'source-addresses': { type: 'string' },
      'enroll-concurrency': { type: 'string' },
      'drain-seconds': { type: 'string' },
      'progress-seconds': { type: 'string' },
      'pool-size': { type: 'string' },
      'pg-url': { type: 'string' },
      'database-url': { type: 'string' },
      profile: { type: 'boolean' },
      processes: { type: 'string' },
      storm: { type: 'boolean' },
      'log-statements': { type: 'boolean' },
      'no-ceilings': { type: 'boolean' },
      keep: { type: 'boolean' },
      seed: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const problems: string[] = [];
  const number = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      problems.push(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const integer = (name: string, raw: string | undefined, fallback: number, min: number, max: number) => {
    const value = number(name, raw, fallback, min, max);
    if (!Number.isInteger(value)) problems.push(`--${name} must be an integer, got "${raw}"`);
    return value;
  };
  const choice = <T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T => {
    if (raw === undefined) return allowed[0]!;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`--${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return allowed[0]!;
    }
    return raw as T;
  };
  const agents = integer('agents', values.agents, 100, 1, 60_000);
  const processes = integer('processes', values.processes, 1, 1, 8);
  const options: LoadOptions = {
    agents,
    minutes: number('minutes', values.minutes, 1, 0.1, 120),
    db: choice('db', values.db, ['postgres', 'pglite'] as const),
    server: choice('server', values.server, ['dist', 'src'] as const),
    connectPerSecond: number('connect-rate', values['connect-rate'], 250, 1, 100_000),
    batchIntervalMs: integer('batch-interval-ms', values['batch-interval-ms'], 5000, 100, 600_000),
    eventsPerBatch: integer('events-per-batch', values['events-per-batch'], 10, 1, 1000),
    batchJitter: number('batch-jitter', values['batch-jitter'], 0.1, 0, 0.9),
    screenshotIntervalMs: integer(
      'screenshot-interval-ms',
      values['screenshot-interval-ms'],
      300_000,
      1000,
      86_400_000,
    ),
    screenshotJitter: number('screenshot-jitter', values['screenshot-jitter'], 0.2, 0, 0.9),
    screenshotBytes: Math.round(number('screenshot-kb', values['screenshot-kb'], 50, 8, 60) * 1024),
    generators: integer('generators', values.generators, processes, 1, 16),
    verifyAcks: number('verify-acks', values['verify-acks'], 0.05, 0, 1),
    sourceAddresses: integer(
      'source-addresses',
      values['source-addresses'],
      Math.ceil(agents / 20_000),
      1,
      250,
    ),
    enrollConcurrency: integer('enroll-concurrency', values['enroll-concurrency'], 16, 1, 256),
    drainSeconds: number('drain-seconds', values['drain-seconds'], 60, 1, 600),
    progressSeconds: number('progress-seconds', values['progress-seconds'], 5, 1, 60),
    poolSize:
      values['pool-size'] === undefined ? null : integer('pool-size', values['pool-size'], 10, 1, 200),
    pgAdminUrl: values['pg-url'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    databaseUrl: values['database-url'] ?? null,
    profile: values.profile ?? false,
    processes,
    storm: values.storm ?? false,
    logStatements: values['log-statements'] ?? false,
    ceilings: !(values['no-ceilings'] ?? false),
    keep: values.keep ?? false,
    seed: integer('seed', values.seed, 1, 0, 2 ** 31),
    out: values.out ?? null,
  };
  if (options.processes > 1 && options.db !== 'postgres') problems.push('--processes needs --db postgres');
  if (options.generators < options.processes)
    problems.push('--generators must be at least --processes (each generator speaks to one process)');
  if (options.databaseUrl !== null && options.db !== 'postgres')
    problems.push('--database-url needs --db postgres');
  // The statement log is a setting of the database, left behind on one the bench did not make.
  if (options.databaseUrl !== null && options.logStatements)
    problems.push('--log-statements makes its own database; it cannot go with --database-url');
  if (options.logStatements && options.db !== 'postgres')
    problems.push('--log-statements needs --db postgres');
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\n${USAGE}`);
  return Object.freeze(options);
}
