/**
 * Server configuration: an optional JSON file (SEATWATCH_CONFIG), then the
 * environment on top, validated once with TypeBox + Ajv, then frozen and
 * passed down. Every error names the setting and where it came from.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { HANDSHAKE_TIMEOUT_MS } from '@seatwatch/shared';
import { Ajv } from 'ajv';
import ipaddr from 'ipaddr.js';
import Type, { type Static } from 'typebox';

/** The default checkpoint file's name in the data folder. */
export const AUDIT_CHECKPOINT_FILE = 'audit-checkpoints.jsonl';

/** Database role names as the configuration and `db-roles` accept them: plain lower-case SQL identifiers. */
export const ROLE_NAME_PATTERN = '^[a-z_][a-z0-9_]{0,62}$';

const Base64Key = (description: string) =>
  Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$', description: `${description} (base64 of 32 bytes)` });

export const ServerConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address to listen on' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
    listenBacklog: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 4096,
      description:
        "Connections the kernel queues before the server accepts them (capped by net.core.somaxconn): Node's own 511 overflowed when thousands of agents reconnect at once",
    }),
    publicUrl: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description: 'The URL agents and people use (behind a proxy); printed at start',
      }),
    ),
    dataDir: Type.String({
      minLength: 1,
      default: '.data',
      description: 'Data folder (embedded database, blobs, key files); relative to the working directory',
    }),
    databaseUrl: Type.Optional(
      Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL URL; PGlite when absent' }),
    ),
    databasePoolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
    databaseAppRole: Type.Optional(
      Type.String({
        pattern: ROLE_NAME_PATTERN,
        description:
          'PostgreSQL role the server runs as, when migrate runs as another (the owner): migrate grants it what it needs, and on the audit log only INSERT and SELECT',
      }),
    ),
    production: Type.Boolean({
      default: false,
      description:
        'Production mode (also NODE_ENV=production): the server refuses to start as a database role that could change the audit log',
    }),
    allowAlterableAuditLog: Type.Boolean({
      default: false,
      description:
        'Start in production mode even as a role that could change the audit log (it is still logged loudly)',
    }),
    auditCheckpoints: Type.Object(
      {
        intervalMs: Type.Integer({
          minimum: 0,
          default: 3_600_000,
          description:
            'How often the signed head of the audit chain is sent out of the database (0: only at shutdown)',
        }),
        file: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'Append-only file of checkpoints; <dataDir>/audit-checkpoints.jsonl when absent',
          }),
        ),
        syslog: Type.Optional(
          Type.Object(
            {
              host: Type.String({ minLength: 1 }),
              port: Type.Integer({ minimum: 1, maximum: 65535, default: 514 }),
              transport: Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { default: 'udp' }),
              facility: Type.Integer({ minimum: 0, maximum: 23, default: 13, description: '13: log audit' }),
            },
            { additionalProperties: false },
          ),
        ),
        webhookUrl: Type.Optional(
          Type.String({
            pattern: '^https?://',
            description: 'Each checkpoint is POSTed here, signed like alerts',
          }),
        ),
        timestampAuthorityUrl: Type.Optional(
          Type.String({
            pattern: '^https?://',
            description: 'An RFC 3161 time-stamp authority that countersigns each checkpoint',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    tls: Type.Optional(
      Type.Object(
        { certFile: Type.String({ minLength: 1 }), keyFile: Type.String({ minLength: 1 }) },
        { additionalProperties: false },
      ),
    ),
    trustedProxies: Type.Array(Type.String(), {
      default: [],
      description: 'IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed',
    }),
    adminToken: Type.Optional(
      Type.String({
        minLength: 24,
        description: 'Admin API token; generated into <dataDir>/admin-token if absent',
      }),
    ),
    serverKey: Type.Optional(Base64Key('Ed25519 seed of the server key; else <dataDir>/server-key')),
    blobKey: Type.Optional(Base64Key('AES-256-GCM key for blobs at rest; else <dataDir>/blob-key')),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { default: 'info' },
    ),
    handshakeTimeoutMs: Type.Integer({ minimum: 1, default: HANDSHAKE_TIMEOUT_MS }),
    wsPingIntervalMs: Type.Integer({
      minimum: 0,
      default: 15_000,
      description:
        'Ping agents that sent nothing for this long; one missed pong closes the socket, unless the server paused it for backpressure (0: off)',
    }),
    maxPendingFramesPerAgent: Type.Integer({
      minimum: 1,
      default: 64,
      description: 'Uncommitted frames per connection before the socket is paused',
    }),
    maxFramesPerCommit: Type.Integer({
      minimum: 1,
      default: 250,
      description:
        'Frames per group-commit transaction: bounds how long one commit (and so an ack) takes under a backlog',
    }),
    maxConcurrentCommits: Type.Integer({
      minimum: 1,
      default: 2,
      description: 'Group commits in flight at once (an agent is never in two at once)',
    }),
    commitDelayMs: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 20,
      description:
        'How long a frame waits for others before a smaller group commits: fewer, larger statements for at most this much more ack latency (0: commit at once)',
    }),
    maxCommitBacklog: Type.Integer({
      minimum: 1,
      default: 500,
      description:
        'Frames waiting for a commit, across all agents, before new frames are left unread until it halves',
    }),
    shutdownTimeoutMs: Type.Integer({ minimum: 0, default: 10_000 }),
    retention: Type.Object(
      {
        intervalMs: Type.Integer({ minimum: 0, default: 3_600_000, description: '0 disables the job' }),
        batchSize: Type.Integer({ minimum: 1, default: 5000 }),
        minimumDays: Type.Integer({
          minimum: 1,
          maximum: 3650,
          default: 60,
          description:
            'Installation-wide minimum retention: no project policy may keep data for fewer days, and stored policies below it are raised at start',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    collectors: Type.Object(
      {
        heartbeatMs: Type.Integer({
          minimum: 100,
          default: 10_000,
          description: 'How often this process beats in the registry of live collectors (issue #15)',
        }),
        staleAfterMs: Type.Integer({
          minimum: 300,
          default: 45_000,
          description:
            'A collector that has not beaten for this long is dead: a live one marks the agents it held disconnected (at least 3 heartbeats)',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    blobs: Type.Object(
      {
        s3: Type.Optional(
          Type.Object(
            {
              endpoint: Type.Optional(
                Type.String({
                  pattern: '^https?://',
                  description: 'URL of an S3-compatible service (MinIO, Ceph RGW, ...); AWS S3 when absent',
                }),
              ),
              region: Type.String({ minLength: 1, default: 'us-east-1' }),
              bucket: Type.String({
                pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
                description: 'Bucket (made beforehand) holding the sealed screenshot bytes',
              }),
              prefix: Type.String({
                default: 'blobs',
                description: 'Key prefix: objects are <prefix>/<2 hex digits>/<sha256>',
              }),
              forcePathStyle: Type.Boolean({
                default: false,
                description: 'Bucket in the URL path, not the host name (most S3-compatible services)',
              }),
              credentialsFile: Type.Optional(
                Type.String({
                  minLength: 1,
                  description:
                    'File holding {"accessKeyId", "secretAccessKey"}; relative to the working directory',
                }),
              ),
              accessKeyId: Type.Optional(
                Type.String({ minLength: 1, description: 'From SEATWATCH_S3_ACCESS_KEY_ID only' }),
              ),
              secretAccessKey: Type.Optional(
                Type.String({ minLength: 1, description: 'From SEATWATCH_S3_SECRET_ACCESS_KEY only' }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Where screenshot bytes go: <dataDir>/blobs, or an S3-compatible bucket when s3 is set',
      },
    ),
    enrollRateLimit: Type.Object(
      {
        max: Type.Integer({ minimum: 1, default: 30 }),
        windowMs: Type.Integer({ minimum: 1, default: 60_000 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

type Mutable = Static<typeof ServerConfigSchema>;
export type ServerConfig = Readonly<
  Omit<Mutable, 'trustedProxies' | 'retention' | 'blobs' | 'enrollRateLimit' | 'tls' | 'auditCheckpoints'> & {
    trustedProxies: readonly string[];
    retention: Readonly<Mutable['retention']>;
    blobs: { readonly s3?: Readonly<NonNullable<Mutable['blobs']['s3']>> };
    enrollRateLimit: Readonly<Mutable['enrollRateLimit']>;
    tls?: Readonly<NonNullable<Mutable['tls']>>;
    /** `file` is always set once loaded (the default filled in, made absolute). */
    auditCheckpoints: Readonly<Omit<Mutable['auditCheckpoints'], 'file' | 'syslog'>> & {
      readonly file: string;
      readonly syslog?: Readonly<NonNullable<Mutable['auditCheckpoints']['syslog']>>;
    };
  }
>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type EnvKind = 'string' | 'int' | 'list' | 'bool';
/** Environment variable -> setting path. Env wins over the file. */
const ENV: ReadonlyArray<readonly [string, readonly string[], EnvKind]> = [
  ['SEATWATCH_HOST', ['host'], 'string'],
  ['SEATWATCH_PORT', ['port'], 'int'],
  ['SEATWATCH_LISTEN_BACKLOG', ['listenBacklog'], 'int'],
  ['SEATWATCH_PUBLIC_URL', ['publicUrl'], 'string'],
  ['SEATWATCH_DATA_DIR', ['dataDir'], 'string'],
  ['DATABASE_URL', ['databaseUrl'], 'string'],
  ['SEATWATCH_DATABASE_POOL_SIZE', ['databasePoolSize'], 'int'],
  ['SEATWATCH_DATABASE_APP_ROLE', ['databaseAppRole'], 'string'],
  ['SEATWATCH_PRODUCTION', ['production'], 'bool'],
  ['SEATWATCH_ALLOW_ALTERABLE_AUDIT_LOG', ['allowAlterableAuditLog'], 'bool'],
  ['SEATWATCH_AUDIT_CHECKPOINT_INTERVAL_MS', ['auditCheckpoints', 'intervalMs'], 'int'],
  ['SEATWATCH_AUDIT_CHECKPOINT_FILE', ['auditCheckpoints', 'file'], 'string'],
  ['SEATWATCH_AUDIT_CHECKPOINT_SYSLOG_HOST', ['auditCheckpoints', 'syslog', 'host'], 'string'],
  ['SEATWATCH_AUDIT_CHECKPOINT_SYSLOG_PORT', ['auditCheckpoints', 'syslog', 'port'], 'int'],
  ['SEATWATCH_AUDIT_CHECKPOINT_SYSLOG_TRANSPORT', ['auditCheckpoints', 'syslog', 'transport'], 'string'],
  ['SEATWATCH_AUDIT_CHECKPOINT_WEBHOOK_URL', ['auditCheckpoints', 'webhookUrl'], 'string'],
  ['SEATWATCH_AUDIT_CHECKPOINT_TSA_URL', ['auditCheckpoints', 'timestampAuthorityUrl'], 'string'],
  ['SEATWATCH_TLS_CERT', ['tls', 'certFile'], 'string'],
  ['SEATWATCH_TLS_KEY', ['tls', 'keyFile'], 'string'],
  ['SEATWATCH_TRUSTED_PROXIES', ['trustedProxies'], 'list'],
  ['SEATWATCH_ADMIN_TOKEN', ['adminToken'], 'string'],
  ['SEATWATCH_SERVER_KEY', ['serverKey'], 'string'],
  ['SEATWATCH_BLOB_KEY', ['blobKey'], 'string'],
  ['SEATWATCH_LOG_LEVEL', ['logLevel'], 'string'],
  ['SEATWATCH_HANDSHAKE_TIMEOUT_MS', ['handshakeTimeoutMs'], 'int'],
  ['SEATWATCH_WS_PING_INTERVAL_MS', ['wsPingIntervalMs'], 'int'],
  ['SEATWATCH_MAX_PENDING_FRAMES_PER_AGENT', ['maxPendingFramesPerAgent'], 'int'],
  ['SEATWATCH_MAX_FRAMES_PER_COMMIT', ['maxFramesPerCommit'], 'int'],
  ['SEATWATCH_MAX_CONCURRENT_COMMITS', ['maxConcurrentCommits'], 'int'],
  ['SEATWATCH_MAX_COMMIT_BACKLOG', ['maxCommitBacklog'], 'int'],
  ['SEATWATCH_COMMIT_DELAY_MS', ['commitDelayMs'], 'int'],
  ['SEATWATCH_SHUTDOWN_TIMEOUT_MS', ['shutdownTimeoutMs'], 'int'],
  ['SEATWATCH_RETENTION_INTERVAL_MS', ['retention', 'intervalMs'], 'int'],
  ['SEATWATCH_RETENTION_BATCH_SIZE', ['retention', 'batchSize'], 'int'],
  ['SEATWATCH_RETENTION_MINIMUM_DAYS', ['retention', 'minimumDays'], 'int'],
  ['SEATWATCH_COLLECTOR_HEARTBEAT_MS', ['collectors', 'heartbeatMs'], 'int'],
  ['SEATWATCH_COLLECTOR_STALE_AFTER_MS', ['collectors', 'staleAfterMs'], 'int'],
  ['SEATWATCH_S3_ENDPOINT', ['blobs', 's3', 'endpoint'], 'string'],
  ['SEATWATCH_S3_REGION', ['blobs', 's3', 'region'], 'string'],
  ['SEATWATCH_S3_BUCKET', ['blobs', 's3', 'bucket'], 'string'],
  ['SEATWATCH_S3_PREFIX', ['blobs', 's3', 'prefix'], 'string'],
  ['SEATWATCH_S3_FORCE_PATH_STYLE', ['blobs', 's3', 'forcePathStyle'], 'bool'],
  ['SEATWATCH_S3_CREDENTIALS_FILE', ['blobs', 's3', 'credentialsFile'], 'string'],
  ['SEATWATCH_S3_ACCESS_KEY_ID', ['blobs', 's3', 'accessKeyId'], 'string'],
  ['SEATWATCH_S3_SECRET_ACCESS_KEY', ['blobs', 's3', 'secretAccessKey'], 'string'],
  ['SEATWATCH_ENROLL_RATE_LIMIT_MAX', ['enrollRateLimit', 'max'], 'int'],
  ['SEATWATCH_ENROLL_RATE_LIMIT_WINDOW_MS', ['enrollRateLimit', 'windowMs'], 'int'],
];

const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true, coerceTypes: false });
const validate = ajv.compile(ServerConfigSchema);

export interface ConfigSources {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Reads the SEATWATCH_CONFIG file; injected so tests need no files. */
  readFile: (path: string) => string;
}

/** Builds the frozen configuration, or throws ConfigError listing every problem. */
export function loadConfig(sources: ConfigSources): ServerConfig {
  const file = sources.env.SEATWATCH_CONFIG;
  if (!file) return buildConfig({}, '', sources.env, sources.cwd);
  const path = isAbsolute(file) ? file : resolve(sources.cwd, file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(sources.readFile(path));
  } catch (error) {
    throw new ConfigError([`cannot read ${path} (SEATWATCH_CONFIG): ${(error as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`${path} (SEATWATCH_CONFIG) must hold a JSON object`]);
  }
  return buildConfig(parsed as Record<string, unknown>, path, sources.env, sources.cwd);
}

/** Configuration for tests and embedding: defaults plus these values, validated the same way. */
export function configWith(values: Record<string, unknown>, cwd = process.cwd()): ServerConfig {
  return buildConfig(structuredClone(values), 'configWith()', {}, cwd);
}

function buildConfig(
  fileValues: Record<string, unknown>,
  fileLabel: string,
  env: ConfigSources['env'],
  cwd: string,
): ServerConfig {
  const problems: string[] = [];
  const origin = new Map<string, string>();
  const raw = fileValues;
  for (const key of Object.keys(raw)) origin.set(key, fileLabel);

  for (const [name, path, kind] of ENV) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    let value: unknown = text;
    if (kind === 'int') {
      if (!/^-?\d+$/.test(text.trim())) {
        problems.push(`${name} must be an integer, got "${text}"`);
        continue;
      }
      value = Number.parseInt(text, 10);
    } else if (kind === 'bool') {
      if (text !== 'true' && text !== 'false') {
        problems.push(`${name} must be true or false, got "${text}"`);
        continue;
      }
      value = text === 'true';
    } else if (kind === 'list') {
      value = text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);
    }
    setPath(raw, path, value);
    origin.set(path.join('.'), name);
  }

  // NODE_ENV=production, the usual sign of a production process, turns production mode on unless it is set.
  if (raw.production === undefined && env.NODE_ENV === 'production') {
    raw.production = true;
    origin.set('production', 'NODE_ENV');
  }

  if (problems.length === 0 && !validate(raw)) {
    for (const error of validate.errors ?? []) {
      const path = error.instancePath.slice(1).replaceAll('/', '.');
      const setting =
        error.keyword === 'additionalProperties'
          ? `${path ? `${path}.` : ''}${(error.params as { additionalProperty: string }).additionalProperty}`
          : path || '(root)';
      const from = origin.get(setting) ?? origin.get(setting.split('.')[0]!);
      const message =
        error.keyword === 'additionalProperties' ? 'is not a known setting' : (error.message ?? 'is invalid');
      problems.push(`${setting}${from ? ` (from ${from})` : ''} ${message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const config = raw as Mutable;
  for (const entry of config.trustedProxies) {
    if (!isIpOrCidr(entry)) {
      problems.push(
        `trustedProxies (from ${origin.get('trustedProxies')}) has "${entry}": not an IP or CIDR`,
      );
    }
  }
  problems.push(...s3CredentialProblems(config.blobs.s3, origin, fileLabel));
  if (problems.length > 0) throw new ConfigError(problems);

  config.dataDir = resolve(cwd, config.dataDir);
  config.auditCheckpoints.file = config.auditCheckpoints.file
    ? resolve(cwd, config.auditCheckpoints.file)
    : join(config.dataDir, AUDIT_CHECKPOINT_FILE);
  if (config.blobs.s3?.credentialsFile) {
    config.blobs.s3.credentialsFile = resolve(cwd, config.blobs.s3.credentialsFile);
  }
  if (config.tls) {
    config.tls.certFile = resolve(cwd, config.tls.certFile);
    config.tls.keyFile = resolve(cwd, config.tls.keyFile);
  }
  return deepFreeze(config) as ServerConfig;
}

/**
 * The S3 access key comes from the environment or from credentialsFile, never from the
 * configuration file (which is often readable, copied and checked in); both halves or neither.
 */
function s3CredentialProblems(
  s3: Mutable['blobs']['s3'],
  origin: ReadonlyMap<string, string>,
  fileLabel: string,
): string[] {
  if (!s3) return [];
  const problems: string[] = [];
  for (const [name, env] of [
    ['accessKeyId', 'SEATWATCH_S3_ACCESS_KEY_ID'],
    ['secretAccessKey', 'SEATWATCH_S3_SECRET_ACCESS_KEY'],
  ] as const) {
    if (s3[name] !== undefined && fileLabel !== 'configWith()' && origin.get(`blobs.s3.${name}`) !== env) {
      problems.push(`blobs.s3.${name} (from ${fileLabel}) must come from ${env} or blobs.s3.credentialsFile`);
    }
  }
  if ((s3.accessKeyId === undefined) !== (s3.secretAccessKey === undefined)) {
    problems.push('blobs.s3.accessKeyId and blobs.s3.secretAccessKey go together: give both or neither');
  }
  if (s3.credentialsFile && (s3.accessKeyId !== undefined || s3.secretAccessKey !== undefined)) {
    problems.push(
      'blobs.s3.credentialsFile and SEATWATCH_S3_ACCESS_KEY_ID/SECRET_ACCESS_KEY: give one, not both',
    );
  }
  return problems;
}

function isIpOrCidr(text: string): boolean {
  return text.includes('/') ? safe(() => ipaddr.parseCIDR(text)) : ipaddr.isValid(text);
}

function safe(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** True when the listen address only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (!ipaddr.isValid(host)) return false;
  return ipaddr.process(host).range() === 'loopback';
}
