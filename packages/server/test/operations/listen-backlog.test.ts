/**
 * The collector's listening socket queues `listenBacklog` connections (default 4096, capped by the
 * kernel's net.core.somaxconn), not Node's 511: a restarted collector that thousands of agents
 * reconnect to at once must not reset the connections it has not accepted yet. Read from the
 * kernel itself (`ss`: a listening socket's Send-Q is its backlog).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, startConfiguredServer, type TestDatabase } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/startup/startup.js';

const run = promisify(execFile);

async function listenBacklog(port: number): Promise<number> {
  const { stdout } = await run('ss', ['-Hltn', `sport = :${port}`]);
  // State Recv-Q Send-Q Local Peer
  const [, , sendQ] = stdout.trim().split(/\s+/);
  return Number(sendQ);
}

describe.each<{ name: string; env: Record<string, string>; wanted: number }>([
  { name: 'the default', env: {}, wanted: 4096 },
  { name: 'SEATWATCH_LISTEN_BACKLOG', env: { SEATWATCH_LISTEN_BACKLOG: '1500' }, wanted: 1500 },
])('the listen backlog ($name)', ({ env, wanted }) => {
  let db: TestDatabase;
  let dir: string;
  let running: RunningServer;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    dir = await mkdtemp(join(tmpdir(), 'seatwatch-backlog-'));
    running = await startConfiguredServer({
      databaseUrl: db.url!,
      dir,
      env: { SEATWATCH_ADMIN_TOKEN: 'listen-backlog-admin-token-0123456789', ...env },
    });
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is what the kernel queues for the listening socket', async () => {
    const somaxconn = Number(await readFile('/proc/sys/net/core/somaxconn', 'utf8'));
    const port = Number(new URL(running.url).port);
    expect(await listenBacklog(port)).toBe(Math.min(wanted, somaxconn));
  });
});
