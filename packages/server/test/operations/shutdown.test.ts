// Both databases; the commit-in-flight part is PostgreSQL only: its row lock needs a second session.
/**
 * Graceful shutdown: new connections are refused, a commit in flight
 * finishes and is acknowledged, then every agent socket closes with 1001.
 * On PostgreSQL a row lock holds the group commit open, so the frame is
 * provably in flight when shutdown begins.
 */

import {
  connectAgent,
  createTestDatabase,
  DB_KINDS,
  enrollTestAgent,
  lockAgentRow,
  sampleEvents,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events } from '../../src/db/schema/index.js';

describe.each(DB_KINDS)('graceful shutdown on %s', (kind) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await db?.close();
  });

  it('acks what was committed, then closes agent sockets with 1001 and refuses new ones', async () => {
    const server = await startTestServer({ database: db });
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    client.sendBatch(1, sampleEvents(2));
    await client.ack(1);
    const closing = server.close();
    expect((await client.closed).code).toBe(1001);
    await closing;
    await expect(TestAgentClient.connect(server, agent)).rejects.toThrow();
  });
});

describe('graceful shutdown on postgres with a commit in flight', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('finishes a group commit that is in flight before closing', async () => {
    const server = await startTestServer({ database: db });
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    const lock = await lockAgentRow(db.url!, agent.agentId);
    try {
      client.sendBatch(1, sampleEvents(3));
      // The server's commit is now waiting for the row lock.
      await lock.blocked();
      const closing = server.close();
      const late = TestAgentClient.connect(server, agent);
      await expect(late).rejects.toThrow();
      await lock.release();
      expect((await client.ack(1)).seq).toBe(1);
      expect((await client.closed).code).toBe(1001);
      await closing;
      const [{ n }] = (await db.database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(events)
        .where(and(eq(events.agentId, agent.agentId), eq(events.seq, 1)))) as [{ n: number }];
      expect(n).toBe(3);
    } finally {
      await lock.end();
    }
  });
});
