/** blobs.s3: how the setting is read and checked, and which store openBlobStore opens from it. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import { S3_TEST_CREDENTIALS, startS3Server, type TestS3Server } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobNames } from '../../src/blobs/blob-store.js';
import { readS3CredentialsFile } from '../../src/blobs/blob-store.s3.js';
import { ConfigError, configWith, loadConfig } from '../../src/config.js';
import { openBlobStore } from '../../src/startup/startup.js';

const SECRET = `secret-${randomBytes(12).toString('hex')}`;
const load = (env: Record<string, string>, file?: unknown) =>
  loadConfig({
    env: { ...(file ? { SEATWATCH_CONFIG: 'seatwatch.json' } : {}), ...env },
    cwd: '/srv/seatwatch',
    readFile: () => JSON.stringify(file),
  });
const problemsOf = (build: () => unknown): string[] => {
  try {
    build();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('no ConfigError');
};

describe('blobs.s3 configuration', () => {
  it('is absent by default: screenshots stay in <dataDir>/blobs', () => {
    expect(load({}).blobs).toEqual({});
  });

  it('comes from the environment, with defaults for what is not said', () => {
    const config = load({
      SEATWATCH_S3_ENDPOINT: 'http://minio.internal:9000',
      SEATWATCH_S3_BUCKET: 'seatwatch-blobs',
      SEATWATCH_S3_FORCE_PATH_STYLE: 'true',
      SEATWATCH_S3_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      SEATWATCH_S3_SECRET_ACCESS_KEY: SECRET,
    });
    expect(config.blobs.s3).toEqual({
      endpoint: 'http://minio.internal:9000',
      region: 'us-east-1',
      bucket: 'seatwatch-blobs',
      prefix: 'blobs',
      forcePathStyle: true,
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: SECRET,
    });
    expect(Object.isFrozen(config.blobs.s3)).toBe(true);
  });

  it('takes the bucket from the file and the access key from the environment; a relative credentialsFile resolves', () => {
    const file = { blobs: { s3: { bucket: 'seatwatch', region: 'eu-west-3', prefix: 'site-a/blobs' } } };
    const config = load({ SEATWATCH_S3_ACCESS_KEY_ID: 'AKID', SEATWATCH_S3_SECRET_ACCESS_KEY: SECRET }, file);
    expect(config.blobs.s3).toMatchObject({ bucket: 'seatwatch', region: 'eu-west-3', accessKeyId: 'AKID' });
    const withFile = load({}, { blobs: { s3: { bucket: 'seatwatch', credentialsFile: 'secrets/s3.json' } } });
    expect(withFile.blobs.s3?.credentialsFile).toBe('/srv/seatwatch/secrets/s3.json');
  });

  it('refuses the access key in the configuration file, half a key, a key twice, and bad values, never echoing the secret', () => {
    const fromFile = problemsOf(() =>
      load({}, { blobs: { s3: { bucket: 'seatwatch', accessKeyId: 'AKID', secretAccessKey: SECRET } } }),
    );
    expect(fromFile).toEqual([
      expect.stringMatching(
        /^blobs\.s3\.accessKeyId \(from .*seatwatch\.json\) must come from SEATWATCH_S3_ACCESS_KEY_ID/,
      ),
      expect.stringMatching(/^blobs\.s3\.secretAccessKey .* must come from SEATWATCH_S3_SECRET_ACCESS_KEY/),
    ]);
    expect(
      problemsOf(() => load({ SEATWATCH_S3_BUCKET: 'seatwatch', SEATWATCH_S3_SECRET_ACCESS_KEY: SECRET })),
    ).toEqual([expect.stringMatching(/give both or neither/)]);
    expect(
      problemsOf(() =>
        load(
          { SEATWATCH_S3_ACCESS_KEY_ID: 'AKID', SEATWATCH_S3_SECRET_ACCESS_KEY: SECRET },
          { blobs: { s3: { bucket: 'seatwatch', credentialsFile: '/run/secrets/s3' } } },
        ),
      ),
    ).toEqual([expect.stringMatching(/give one, not both/)]);
    expect(problemsOf(() => load({ SEATWATCH_S3_SECRET_ACCESS_KEY: SECRET }))).toEqual([
      expect.stringMatching(/^blobs\.s3 .*bucket/),
    ]);
    expect(
      problemsOf(() => load({ SEATWATCH_S3_BUCKET: 'Not_A_Bucket', SEATWATCH_S3_FORCE_PATH_STYLE: 'yes' })),
    ).toEqual(['SEATWATCH_S3_FORCE_PATH_STYLE must be true or false, got "yes"']);
    expect(problemsOf(() => load({ SEATWATCH_S3_BUCKET: 'Not_A_Bucket' }))).toEqual([
      expect.stringMatching(/^blobs\.s3\.bucket \(from SEATWATCH_S3_BUCKET\) must match pattern/),
    ]);
    expect(
      problemsOf(() => configWith({ blobs: { s3: { bucket: 'seatwatch', endpoint: 'minio:9000' } } })),
    ).toEqual([expect.stringMatching(/^blobs\.s3\.endpoint .*must match pattern/)]);
    expect(problemsOf(() => configWith({ blobs: { gcs: {} } }))).toEqual([
      'blobs.gcs (from configWith()) is not a known setting',
    ]);
    for (const build of [
      () =>
        load({}, { blobs: { s3: { bucket: 'seatwatch', accessKeyId: 'AKID', secretAccessKey: SECRET } } }),
      () => load({ SEATWATCH_S3_BUCKET: 'seatwatch', SEATWATCH_S3_SECRET_ACCESS_KEY: SECRET }),
    ]) {
      expect(problemsOf(build).join('\n')).not.toContain(SECRET);
    }
  });
});

describe('openBlobStore', () => {
  let s3: TestS3Server;
  let dataDir: string;
  beforeAll(async () => {
    s3 = await startS3Server({ buckets: ['opened'] });
    dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-open-blobs-'));
  });
  afterAll(async () => {
    await s3?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  const key = randomBytes(32);
  const bytes = new Uint8Array([1, 2, 3, 4]);
  const hash = sha256Hex(bytes);
  // Names are keyed (HMAC of the hash, issue #11); blob-store-contract.test.ts derives them from the docs.
  const [nameFolder, name] = blobNames(key).keyed(hash);

  it('opens <dataDir>/blobs without blobs.s3', async () => {
    await openBlobStore(configWith({ dataDir }), key).put(hash, bytes);
    expect(await readdir(join(dataDir, 'blobs', nameFolder))).toEqual([name]);
  });

  it('opens the bucket with the access key of credentialsFile, and nothing lands in the data folder', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'seatwatch-open-s3-'));
    try {
      const credentialsFile = join(folder, 's3.json');
      await writeFile(credentialsFile, JSON.stringify(S3_TEST_CREDENTIALS), { mode: 0o600 });
      const config = configWith({
        dataDir: folder,
        blobs: { s3: { ...s3.settings('opened'), prefix: 'site-a', credentialsFile } },
      });
      const store = openBlobStore(config, key);
      await store.put(hash, bytes);
      expect(await store.get(hash)).toEqual(bytes);
      const client = new S3Client({ ...s3.settings('opened'), credentials: S3_TEST_CREDENTIALS });
      const listed = await client.send(new ListObjectsV2Command({ Bucket: 'opened' }));
      client.destroy();
      expect(listed.Contents?.map((object) => object.Key)).toEqual([`site-a/${nameFolder}/${name}`]);
      expect(await readdir(folder)).toEqual(['s3.json']);

      await writeFile(credentialsFile, `{"accessKeyId": "AKID", "secretAccessKey": "${SECRET}"`);
      expect(() => openBlobStore(config, key)).toThrow(
        `cannot read the S3 credentials file ${credentialsFile}: not JSON`,
      );
      await writeFile(credentialsFile, JSON.stringify({ accessKeyId: SECRET }));
      expect(() => readS3CredentialsFile(credentialsFile)).toThrow(/must hold/);
      try {
        readS3CredentialsFile(credentialsFile);
      } catch (error) {
        expect((error as Error).message).not.toContain(SECRET);
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
