/**
 * The collector as a real process. First start on an empty data folder:
 * it makes the folder and the owner-only admin token file, and says where to
 * go next without printing the token. Then SIGKILL between frames and a
 * restart on the same storage: everything acknowledged before the kill is
 * there, the welcome says so, and resending the rest stores nothing twice.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  connectAgent,
  createPostgresDatabase,
  DB_KINDS,
  enrollTestAgent,
  type ServerProcess,
  sampleEvents,
  spawnServer,
} from '@seatwatch/testkit/server';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/connect.js';
import { events } from '../../src/db/schema/index.js';

const FRAMES = 30;
const EVENTS_PER_FRAME = 2;

describe.each(DB_KINDS)('server process on %s', (kind) => {
  const running: ServerProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(() => {
    for (const server of running.splice(0)) server.child.kill('SIGKILL');
  });
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('starts with zero config, then loses nothing acknowledged when killed between frames', async () => {
    const root = await mkdtemp(join(tmpdir(), 'seatwatch-process-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const dataDir = join(root, 'data');
    const env: Record<string, string> = { SEATWATCH_DATA_DIR: dataDir };
    if (kind === 'postgres') {
      const pg = await createPostgresDatabase();
      cleanups.push(pg.drop);
      env.DATABASE_URL = pg.url;
    }
    const token = { value: '' };
    const start = async () => {
      const server = await spawnServer(env, () => token.value);
      running.push(server);
      return server;
    };

    const first = await start();
    const tokenFile = join(dataDir, 'admin-token');
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    token.value = (await readFile(tokenFile, 'utf8')).trim();
    const { stdout, stderr } = first.output();
    expect(stdout).toContain(`Listening on:    ${first.url}`);
    expect(stdout).toContain('projects create');
    expect(stdout).toContain(tokenFile);
    expect(stdout + stderr).not.toContain(token.value);

    const agent = await enrollTestAgent(first);
    const client = await connectAgent(first, agent);
    const frames = Array.from({ length: FRAMES }, (_, i) =>
      sampleEvents(EVENTS_PER_FRAME, Date.now() + i * 10_000),
    );
    for (let seq = 1; seq <= 5; seq++) {
      client.sendBatch(seq, frames[seq - 1]!);
      await client.ack(seq);
    }
    let acked = 5;
    client.ws.on('message', () => {
      for (const payload of client.received) if (payload.t === 'ack') acked = Math.max(acked, payload.seq);
    });
    for (let seq = 6; seq <= FRAMES; seq++) client.sendBatch(seq, frames[seq - 1]!);
    await client.ack(8);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    await client.closed;
    const ackedBeforeKill = Math.max(acked, 8);

    const second = await start();
    if (kind === 'pglite') {
      // One process per embedded database: a restart knows the killed run's sessions are over.
      const [listed] = await second.adminOk<Array<{ connected: boolean }>>(
        'GET',
        `/projects/${agent.projectId}/agents`,
      );
      expect(listed!.connected).toBe(false);
    }
    const again = await connectAgent(second, agent);
    const stored = again.welcome!.ackedSeq;
    expect(stored).toBeGreaterThanOrEqual(ackedBeforeKill);
    for (let seq = stored + 1; seq <= FRAMES; seq++) again.sendBatch(seq, frames[seq - 1]!);
    // A resend of an acknowledged frame is acknowledged, never stored again.
    again.sendBatch(stored, frames[stored - 1]!);
    await again.ack(FRAMES);
    await again.close();

    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    let database: Database;
    if (kind === 'postgres') database = await openDatabase({ databaseUrl: env.DATABASE_URL });
    else database = await openDatabase({ pgliteDir: join(dataDir, 'pglite') });
    try {
      const perSeq = await database.db
        .select({ seq: events.seq, n: sql<number>`count(*)::int` })
        .from(events)
        .where(eq(events.agentId, agent.agentId))
        .groupBy(events.seq)
        .orderBy(events.seq);
      expect(perSeq).toEqual(Array.from({ length: FRAMES }, (_, i) => ({ seq: i + 1, n: EVENTS_PER_FRAME })));
    } finally {
      await database.close();
    }
    // Two cold starts of a TypeScript process (and PGlite's) take a while on a busy 2-core machine.
  }, 240_000);
});
