/**
 * A real collector for a test: buildApp on a TestDatabase, listening on
 * 127.0.0.1, port 0, with its own data folder (blobs), admin token and
 * server key. Plus small HTTP helpers that can bind the client side to
 * another loopback address (127.0.0.2 is a real "other IP" here).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnomalyOptions,
  type BlobStore,
  buildApp,
  configWith,
  createFilesystemBlobStore,
  loadConfig,
  type NotificationPort,
  type RunningServer,
  type ServerConfig,
  startServer,
  type ThumbnailMaker,
} from '@seatwatch/server';
import { type Ed25519KeyPair, generateKeyPair, tweetnaclSigner } from '@seatwatch/shared';
import type { TestDatabase } from './test-database.js';

/** The Fastify app buildApp returns. */
type App = Awaited<ReturnType<typeof buildApp>>;

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
}

export interface HttpOptions {
  headers?: Record<string, string>;
  /** Local address to connect from (e.g. '127.0.0.2'). */
  localAddress?: string;
  /** CA certificate (PEM) to trust for https:// URLs. */
  ca?: string;
}

/** A JSON request with node:http (fetch cannot choose the local address). */
export function httpJson<T = unknown>(
  method: string,
  url: string,
  body?: unknown,
  options: HttpOptions = {},
): Promise<HttpAnswer<T>> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? https : http).request(
      url,
      {
        method,
        headers: {
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': String(payload.length) }
            : {}),
          ...options.headers,
        },
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if ((response.headers['content-type'] ?? '').includes('json') && text) parsed = JSON.parse(text);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed as T });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

export interface TestServer {
  readonly app: App;
  readonly config: ServerConfig;
  readonly db: TestDatabase;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** ws://127.0.0.1:<port>/api/v1/agent/ws */
  readonly wsUrl: string;
  readonly adminToken: string;
  readonly serverKeys: Ed25519KeyPair;
  readonly blobs: BlobStore;
  readonly dataDir: string;
  /** Keys and token, to start "the same" server again (pass as options.identity with dataDir). */
  readonly identity: ServerIdentity;
  /** Calls /api/v1/admin/<path> with the admin token. */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<HttpAnswer<T>>;
  /** Like admin() but fails the test unless the status is 2xx; returns the body. */
  adminOk<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Closes the app (drain, 1001) and its notification port; the database stays open. */
  close(): Promise<void>;
}

export interface ServerIdentity {
  serverKeys: Ed25519KeyPair;
  adminToken: string;
  blobKey: Uint8Array;
}

export interface TestServerOptions {
  database: TestDatabase;
  /** Configuration values on top of the test defaults (see ServerConfigSchema). */
  config?: Record<string, unknown>;
  now?: () => number;
  thumbnails?: ThumbnailMaker;
  /** Anomaly engine and alert tuning (a fake scheduler, no timers, a short backoff). */
  anomalies?: AnomalyOptions;
  /** Reuse a data folder (blobs, as after a restart); a fresh temporary one by default. */
  dataDir?: string;
  /** Reuse keys and token (a restarted server); fresh ones by default. */
  identity?: ServerIdentity;
  notifications?: NotificationPort;
  /** Serve HTTPS and WSS with this certificate and key (PEM). */
  tls?: { cert: string; key: string };
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'seatwatch-test-')));
  const ownsDataDir = options.dataDir === undefined;
  const identity = options.identity ?? {
    serverKeys: generateKeyPair(),
    adminToken: `swa_test_${randomBytes(24).toString('base64url')}`,
    blobKey: new Uint8Array(randomBytes(32)),
  };
  const config = configWith({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    logLevel: 'silent',
    retention: { intervalMs: 0 },
    wsPingIntervalMs: 0,
    ...options.config,
  });
  const notifications = options.notifications ?? (await options.database.openNotifications());
  const blobs = createFilesystemBlobStore(join(dataDir, 'blobs'), identity.blobKey);
  const app = await buildApp({
    config,
    database: options.database.database,
    notifications,
    blobs,
    serverSigner: tweetnaclSigner(identity.serverKeys.secretKey),
    adminTokenHash: createHash('sha256').update(identity.adminToken).digest(),
    accountsKey: identity.blobKey,
    ...(options.now ? { now: options.now } : {}),
    ...(options.thumbnails ? { thumbnails: options.thumbnails } : {}),
    ...(options.anomalies ? { anomalies: options.anomalies } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
  await app.listen({ host: config.host, port: config.port });
  const port = (app.server.address() as AddressInfo).port;
  const scheme = options.tls ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${port}`;
  const admin = <T>(method: string, path: string, body?: unknown) =>
    httpJson<T>(method, `${url}/api/v1/admin${path}`, body, {
      headers: { authorization: `Bearer ${identity.adminToken}` },
      ...(options.tls ? { ca: options.tls.cert } : {}),
    });
  let closed = false;
  return {
    app,
    config,
    db: options.database,
    url,
    wsUrl: `${options.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/api/v1/agent/ws`,
    adminToken: identity.adminToken,
    serverKeys: identity.serverKeys,
    blobs,
    dataDir,
    identity,
    admin,
    async adminOk<T>(method: string, path: string, body?: unknown) {
      const answer = await admin<T>(method, path, body);
      if (answer.status < 200 || answer.status >= 300) {
        throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
      return answer.body;
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      if (!options.notifications) await notifications.close();
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The real startServer(), configured as an operator would (environment variables only, no file),
 * on a free port with retention and pings off; `env` adds to or overrides that.
 */
export async function startConfiguredServer(options: {
  databaseUrl: string;
  /** The working folder (the data folder is its `data`, unless env says otherwise). */
  dir: string;
  env?: Record<string, string>;
}): Promise<RunningServer> {
  const config = loadConfig({
    env: {
      SEATWATCH_PORT: '0',
      SEATWATCH_DATA_DIR: join(options.dir, 'data'),
      DATABASE_URL: options.databaseUrl,
      SEATWATCH_RETENTION_INTERVAL_MS: '0',
      SEATWATCH_WS_PING_INTERVAL_MS: '0',
      SEATWATCH_LOG_LEVEL: 'silent',
      ...options.env,
    },
    cwd: options.dir,
    readFile: () => {
      throw new Error('no configuration file in this test');
    },
  });
  return startServer(config);
}
