// PostgreSQL only: the backlog is held open by a row lock from a second session, which PGlite (one connection) cannot take.
/**
 * Concurrent group commits keep each agent's frames in order, and admission control: with more frames waiting for a commit than
 * maxCommitBacklog, a connection's next frame is left unread (not even
 * verified) until the backlog halves; then everything is stored and
 * acknowledged, and a bad frame that waited is refused as usual. A row lock
 * held from another PostgreSQL session keeps the one commit in flight, so
 * the backlog provably stands while we look.
 */

import {
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  lockAgentRow,
  sampleEvents,
  startTestServer,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

async function heldConnections(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('seatwatch_ingest_held_connections '));
  if (!line) throw new Error('seatwatch_ingest_held_connections is missing from /metrics');
  return Number(line.split(' ')[1]);
}

describe('admission control on postgres', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('holds frames unread while the commit backlog is full, then stores, acks and judges them in order', async () => {
    const server = await startTestServer({
      database: db,
      config: { maxFramesPerCommit: 1, maxCommitBacklog: 2, maxConcurrentCommits: 1 },
    });
    const [a, b, c] = await Promise.all([1, 2, 3].map(() => enrollTestAgent(server)));
    const [clientA, clientB, clientC] = await Promise.all(
      [a!, b!, c!].map((agent) => connectAgent(server, agent)),
    );
    const lock = await lockAgentRow(db.url!, a!.agentId);
    try {
      clientA!.sendBatch(1, sampleEvents(2));
      // A's commit now waits for the row lock: the committer is busy, and what follows queues behind it.
      await lock.blocked();

      // B's frames 1 and 2 fill the backlog (2); its frame 3 waits.
      for (const seq of [1, 2, 3]) clientB!.sendBatch(seq, sampleEvents(1));
      await expect.poll(() => heldConnections(server.url), { timeout: 10_000 }).toBe(1);
      // C's frame names a wrong session: verified now, it would close C at once. It waits, unread.
      clientC!.sendBatch(1, sampleEvents(1), { session: 'not-the-session' });
      await expect.poll(() => heldConnections(server.url), { timeout: 10_000 }).toBe(2);
      let closedC = false;
      void clientC!.closed.then(() => {
        closedC = true;
      });
      // Give the server every chance to look at C's frame if it were going to.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(closedC).toBe(false);

      await lock.release();
      expect((await clientA!.ack(1)).seq).toBe(1);
      expect((await clientB!.ack(3)).seq).toBe(3);
      expect((await clientC!.closed).code).toBe(4401);
      expect(await heldConnections(server.url)).toBe(0);
      const stored = await lock.observe<{ agent_id: string; n: number }>(
        'select agent_id, count(*)::int as n from events where agent_id = any($1) group by agent_id',
        [[a!.agentId, b!.agentId, c!.agentId]],
      );
      expect(Object.fromEntries(stored.map((row) => [row.agent_id, row.n]))).toEqual({
        [a!.agentId]: 2,
        [b!.agentId]: 3,
      });
    } finally {
      await lock.end();
      await server.close();
    }
  });

  it('commits other agents alongside a commit in flight, never two frames of one agent at once', async () => {
    const server = await startTestServer({ database: db, config: { maxConcurrentCommits: 2 } });
    const [a, b] = await Promise.all([1, 2].map(() => enrollTestAgent(server)));
    const [clientA, clientB] = await Promise.all([a!, b!].map((agent) => connectAgent(server, agent)));
    const lock = await lockAgentRow(db.url!, a!.agentId);
    try {
      clientA!.sendBatch(1, sampleEvents(2));
      await lock.blocked();
      // A's frame 2 must wait for frame 1; B's frame goes into the second commit and is stored now.
      // (Had A's frame 2 joined B's group, that commit would wait on A's row too, and B's ack with it.)
      clientA!.sendBatch(2, sampleEvents(1));
      clientB!.sendBatch(1, sampleEvents(3));
      expect((await clientB!.ack(1)).seq).toBe(1);
      const whileLocked = await lock.observe<{ n: number }>(
        'select count(*)::int as n from events where agent_id = $1',
        [a!.agentId],
      );
      expect(whileLocked[0]!.n).toBe(0);

      await lock.release();
      expect((await clientA!.ack(2)).seq).toBe(2);
      const stored = await lock.observe(
        'select seq, count(*)::int as n from events where agent_id = $1 group by seq order by seq',
        [a!.agentId],
      );
      expect(stored).toEqual([
        { seq: '1', n: 2 },
        { seq: '2', n: 1 },
      ]);
    } finally {
      await lock.end();
      await server.close();
    }
  });
});
