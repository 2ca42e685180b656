/**
 * End to end through the real composition root: a collector started by
 * startServer() on PostgreSQL with blobs.s3 (SEATWATCH_S3_* variables, as
 * an operator sets them) keeps an agent's screenshot and its thumbnail in
 * the bucket, sealed, nothing in its data folder, serves the thumbnail back
 * to an administrator, and logs nothing of the access key's secret, even at
 * trace level.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Board } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import {
  connectAgent,
  createPostgresDatabase,
  createTestProject,
  enrollTestAgent,
  httpJson,
  S3_TEST_CREDENTIALS,
  type ServerEndpoint,
  startS3Server,
  type TestS3Server,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobNames } from '../../src/blobs/blob-store.js';
import { loadConfig } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/startup/startup.js';

const BUCKET = 'seatwatch-e2e';
// s3rver knows only the access key S3RVER and does not check signatures, so any secret passes:
// one no log line could contain by chance.
const SECRET = `never-logged-${randomBytes(16).toString('hex')}`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('a collector with blobs.s3', () => {
  let s3: TestS3Server;
  let postgres: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let dataDir: string;
  let running: RunningServer;
  let endpoint: ServerEndpoint;
  let bucket: S3Client;
  const logged: string[] = [];
  const adminToken = `swa_test_${randomBytes(24).toString('base64url')}`;

  beforeAll(async () => {
    s3 = await startS3Server({ buckets: [BUCKET] });
    postgres = await createPostgresDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-s3-e2e-'));
    const config = loadConfig({
      env: {
        SEATWATCH_HOST: '127.0.0.1',
        SEATWATCH_PORT: '0',
        SEATWATCH_DATA_DIR: dataDir,
        DATABASE_URL: postgres.url,
        SEATWATCH_ADMIN_TOKEN: adminToken,
        SEATWATCH_RETENTION_INTERVAL_MS: '0',
        SEATWATCH_WS_PING_INTERVAL_MS: '0',
        SEATWATCH_S3_ENDPOINT: s3.endpoint,
        SEATWATCH_S3_BUCKET: BUCKET,
        SEATWATCH_S3_PREFIX: 'floor-1',
        SEATWATCH_S3_FORCE_PATH_STYLE: 'true',
        SEATWATCH_S3_ACCESS_KEY_ID: S3_TEST_CREDENTIALS.accessKeyId,
        SEATWATCH_S3_SECRET_ACCESS_KEY: SECRET,
      },
      cwd: dataDir,
      readFile: () => {
        throw new Error('no configuration file in this test');
      },
    });
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    });
    running = await startServer(config, { logger: pino({ level: 'trace' }, sink) });
    const admin = <T>(method: string, path: string, body?: unknown) =>
      httpJson<T>(method, `${running.url}/api/v1/admin${path}`, body, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
    endpoint = {
      url: running.url,
      wsUrl: `${running.url.replace('http', 'ws')}/api/v1/agent/ws`,
      admin,
      async adminOk<T>(method: string, path: string, body?: unknown) {
        const answer = await admin<T>(method, path, body);
        if (answer.status < 200 || answer.status >= 300) {
          throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
        }
        return answer.body;
      },
    };
    bucket = new S3Client({ ...s3.settings(BUCKET), credentials: S3_TEST_CREDENTIALS });
  }, 120_000);

  afterAll(async () => {
    bucket?.destroy();
    await running?.close();
    await postgres?.drop();
    await s3?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("stores an agent's screenshot in the bucket, sealed, and its thumbnail there when first viewed", async () => {
    const { projectId } = await createTestProject(endpoint, { name: 'S3 floor' });
    const seat = await endpoint.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, {
      name: 'desk-s3',
    });
    const agent = await enrollTestAgent(endpoint, { projectId, hostname: 'desk-s3' });
    const client = await connectAgent(endpoint, agent);
    const image = await testJpeg(640, 400);
    try {
      client.sendBlob(1, image);
      await client.ack(1);
    } finally {
      await client.close();
    }

    const listKeys = async () =>
      ((await bucket.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? [])
        .map((object) => object.Key!)
        .sort();
    // Keyed names (issue #11): the bucket's listing does not give away which images it holds.
    const keyOf = (hash: string) => `floor-1/${blobNames(running.secrets.blobKey).keyed(hash).join('/')}`;
    const imageKey = keyOf(sha256(image));
    const keys = await listKeys();
    expect(keys.join('\n')).not.toContain(sha256(image));
    // Only the image: its thumbnail is made when someone first looks at it.
    expect(keys).toEqual([imageKey]);
    expect(imageKey).toMatch(/^floor-1\/([0-9a-f]{2})\/\1[0-9a-f]{62}$/);
    const atRest = Buffer.from(
      await (
        await bucket.send(new GetObjectCommand({ Bucket: BUCKET, Key: imageKey }))
      ).Body!.transformToByteArray(),
    );
    expect(atRest.subarray(0, 4).toString()).toBe('SWB1');
    expect(atRest.includes(Buffer.from(image.subarray(0, 64)))).toBe(false);
    // Nothing of the screenshot in the data folder: only the key files the server made.
    expect((await readdir(dataDir)).filter((name) => name === 'blobs')).toEqual([]);

    const root = await createSignedInUser(endpoint as unknown as TestServer, 'root', [
      { role: 'administrator', projectId: null, teamId: null },
    ]);
    const board = await asUser<Board>(endpoint as unknown as TestServer, root, 'GET', '/api/v1/board');
    const shot = board.body.seats.find((row) => row.id === seat.id)?.screenshot;
    expect(shot).toBeTruthy();
    const answer = await fetch(`${running.url}/api/v1/screenshots/${shot!.id}/thumbnail`, {
      headers: { cookie: root.cookie },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('image/webp');
    expect(answer.headers.get('x-seatwatch-blurred')).toBe('0');
    const thumbnail = new Uint8Array(await answer.arrayBuffer());
    const thumbKey = keyOf(sha256(thumbnail));
    expect((await listKeys()).sort()).toEqual([imageKey, thumbKey].sort());
    const thumbAtRest = await (
      await bucket.send(new GetObjectCommand({ Bucket: BUCKET, Key: thumbKey }))
    ).Body!.transformToByteArray();
    expect(Buffer.from(thumbAtRest).subarray(0, 4).toString()).toBe('SWB1');

    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('')).not.toContain(SECRET);
  });
});
