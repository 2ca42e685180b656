/**
 * The collector under test, in a process of its own so that its CPU time
 * is its own: buildApp on the bench's PostgreSQL database, with the anomaly
 * engine on or off (argv), the same server key and blob key in every round
 * (the agents pinned the key at enrollment). It answers `cpu` messages with
 * process.cpuUsage() and event-loop utilisation, and closes gracefully (the
 * sockets get 1001, which flags no agent) on `stop`.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  buildApp,
  configWith,
  createFilesystemBlobStore,
  migrateDatabase,
  openDatabase,
  openNotifications,
} from '@seatwatch/server';
import { nodeCryptoSigner } from '@seatwatch/shared/node-crypto';

export interface ChildOptions {
  databaseUrl: string;
  dataDir: string;
  engine: boolean;
  /** Hex of the 64-byte server secret key; the admin token; hex of the 32-byte blob key. */
  serverSecretKey: string;
  adminToken: string;
  blobKey: string;
}

export type ChildMessage =
  | { type: 'ready'; port: number }
  | {
      type: 'cpu';
      userMicros: number;
      systemMicros: number;
      eventLoopUtilization: number;
      heapUsedBytes: number;
      rssBytes: number;
    };

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]!) as ChildOptions;
  const database = await openDatabase({ databaseUrl: options.databaseUrl, poolSize: 10 });
  await migrateDatabase(database);
  const notifications = await openNotifications(database, (error) => console.error('notifications:', error));
  const blobKey = new Uint8Array(Buffer.from(options.blobKey, 'hex'));
  const config = configWith({
    host: '127.0.0.1',
    port: 0,
    dataDir: options.dataDir,
    databaseUrl: options.databaseUrl,
    logLevel: 'warn',
    retention: { intervalMs: 0 },
    // The bench enrolls every seat from one address.
    enrollRateLimit: { max: 1_000_000, windowMs: 60_000 },
  });
  const app = await buildApp({
    config,
    database,
    notifications,
    blobs: createFilesystemBlobStore(join(options.dataDir, 'blobs'), blobKey),
    serverSigner: nodeCryptoSigner(new Uint8Array(Buffer.from(options.serverSecretKey, 'hex'))),
    adminTokenHash: createHash('sha256').update(options.adminToken).digest(),
    accountsKey: blobKey,
    anomalies: options.engine ? {} : { engine: false },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const send = (message: ChildMessage) => process.send?.(message);
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 });

  let eluBase = performance.eventLoopUtilization();
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'cpu') {
      const cpu = process.cpuUsage();
      const elu = performance.eventLoopUtilization(eluBase);
      eluBase = performance.eventLoopUtilization();
      send({
        type: 'cpu',
        userMicros: cpu.user,
        systemMicros: cpu.system,
        eventLoopUtilization: elu.utilization,
        heapUsedBytes: process.memoryUsage().heapUsed,
        rssBytes: process.memoryUsage.rss(),
      });
    } else if (message.type === 'stop') {
      await app.close();
      await notifications.close();
      await database.close();
      // Without the IPC channel nothing keeps the process: it exits 0.
      process.disconnect?.();
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
