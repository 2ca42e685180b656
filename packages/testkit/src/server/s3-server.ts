/**
 * An S3-compatible server for a test: s3rver on 127.0.0.1, port 0, keeping
 * its objects in a fresh temporary folder that goes when it stops. It
 * refuses an unknown access key and a missing bucket as a real service does,
 * but does not check SigV4 signatures (so not the secret).
 *
 *   const s3 = await startS3Server({ buckets: ['seatwatch'] });
 *   const config = { blobs: { s3: { ...s3.settings('seatwatch') } } };   // + credentials
 *   await s3.stop();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's fixed access key: any other is refused. */
export const S3_TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** Where s3rver keeps the objects (removed on stop). */
  readonly directory: string;
  /** blobs.s3 settings for a bucket of this server (path style, no credentials). */
  settings(bucket: string): { endpoint: string; region: string; bucket: string; forcePathStyle: true };
  stop(): Promise<void>;
}

export async function startS3Server(options: { buckets: string[] }): Promise<TestS3Server> {
  const directory = await mkdtemp(join(tmpdir(), 'seatwatch-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  let stopped = false;
  return {
    endpoint,
    directory,
    settings: (bucket) => ({ endpoint, region: 'us-east-1', bucket, forcePathStyle: true }),
    async stop() {
      if (stopped) return;
      stopped = true;
      // Clients keep sockets alive; close them, or close() would wait for them.
      (server as unknown as { httpServer: Server }).httpServer.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
