/**
 * The S3 client's life in a collector started by startServer() (issue #15): the bucket is
 * checked at start, so a missing bucket, a refused access key or an endpoint nobody answers
 * stops the start with an error naming the bucket and the endpoint (and never the secret),
 * instead of failing the first screenshot; and the client's sockets are closed at shutdown.
 * Against s3rver, as the other S3 tests; on PostgreSQL, since the database does not change it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@seatwatch/testkit';
import {
  createPostgresDatabase,
  S3_TEST_CREDENTIALS,
  startS3Server,
  type TestS3Server,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobStoreUnavailableError } from '../../src/blobs/blob-store.js';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/startup/startup.js';

const BUCKET = 'seatwatch-lifecycle';
const SECRET = `never-shown-${randomBytes(16).toString('hex')}`;

/**
 * A TCP relay in front of s3rver that counts the client connections still open. s3rver's end
 * of a connection is not passed on (it closes idle ones after a few seconds by itself), so a
 * connection ends only when the collector's S3 client closes it.
 */
async function countingRelay(target: string) {
  const { hostname, port } = new URL(target);
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    const upstream = net.connect(Number(port), hostname);
    client.pipe(upstream);
    upstream.pipe(client, { end: false });
    upstream.on('error', () => {});
    const end = () => {
      open.delete(client);
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    open: () => open.size,
    stop: () => {
      for (const socket of open) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('the S3 blob store at start and shutdown', () => {
  let s3: TestS3Server;
  let postgres: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let dataDir: string;

  beforeAll(async () => {
    s3 = await startS3Server({ buckets: [BUCKET] });
    postgres = await createPostgresDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-s3-lifecycle-'));
  });
  afterAll(async () => {
    await postgres?.drop();
    await s3?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const configFor = (s3env: Record<string, string>) =>
    loadConfig({
      env: {
        SEATWATCH_HOST: '127.0.0.1',
        SEATWATCH_PORT: '0',
        SEATWATCH_DATA_DIR: dataDir,
        DATABASE_URL: postgres.url,
        SEATWATCH_ADMIN_TOKEN: `swa_test_${randomBytes(24).toString('base64url')}`,
        SEATWATCH_RETENTION_INTERVAL_MS: '0',
        SEATWATCH_WS_PING_INTERVAL_MS: '0',
        SEATWATCH_LOG_LEVEL: 'silent',
        SEATWATCH_S3_ENDPOINT: s3.endpoint,
        SEATWATCH_S3_BUCKET: BUCKET,
        SEATWATCH_S3_FORCE_PATH_STYLE: 'true',
        SEATWATCH_S3_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
        SEATWATCH_S3_SECRET_ACCESS_KEY: SECRET,
        ...s3env,
      },
      cwd: dataDir,
      readFile: () => {
        throw new Error('no configuration file in this test');
      },
    });

  const refusal = async (s3env: Record<string, string>) => {
    const error = await startServer(configFor(s3env)).then(
      async (running) => {
        await running.close();
        throw new Error('the server started');
      },
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(BlobStoreUnavailableError);
    const { message } = error as Error;
    expect(message).not.toContain(SECRET);
    return message;
  };

  it('refuses to start on a bucket that does not exist, naming it and the endpoint', async () => {
    expect(await refusal({ SEATWATCH_S3_BUCKET: 'no-such-bucket' })).toBe(
      `the S3 bucket "no-such-bucket" at ${s3.endpoint} does not exist (create it, or correct blobs.s3.bucket / SEATWATCH_S3_BUCKET)`,
    );
  });

  it('refuses to start when the service refuses the access key', async () => {
    expect(await refusal({ SEATWATCH_S3_ACCESS_KEY_ID: 'AKIDUNKNOWN' })).toMatch(
      new RegExp(`^the S3 bucket "${BUCKET}" at ${s3.endpoint} refused the access key \\(HTTP 403: `),
    );
  });

  it('refuses to start when nothing answers at the endpoint', async () => {
    const closed = await countingRelay(s3.endpoint);
    await closed.stop();
    expect(await refusal({ SEATWATCH_S3_ENDPOINT: closed.endpoint })).toMatch(
      new RegExp(`^the S3 bucket "${BUCKET}" at ${closed.endpoint} cannot be reached: `),
    );
  });

  it('starts on a bucket that is there, and closes the S3 client at shutdown', async () => {
    const relay = await countingRelay(s3.endpoint);
    try {
      const running = await startServer(configFor({ SEATWATCH_S3_ENDPOINT: relay.endpoint }));
      // The start's bucket check left its kept-alive connection open.
      expect(relay.open()).toBeGreaterThan(0);
      await running.close();
      await until(
        'the S3 client to close its connections',
        async () => (relay.open() === 0 ? true : null),
        20_000,
      );
    } finally {
      await relay.stop();
    }
  });
});
