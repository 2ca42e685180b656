/**
 * The group committer's commit delay (config commitDelayMs): frames of many
 * agents that arrive within the delay share one commit, and a shutdown does
 * not wait for the delay: what was read is stored and acknowledged first.
 */
import {
  connectAgent,
  createTestDatabase,
  DB_KINDS,
  enrollTestAgent,
  sampleEvents,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { inArray, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { events } from '../../src/db/schema/index.js';
import type { CommittedFrame } from '../../src/ingest/ingest-hub.js';

/** seatwatch_commit_queue_frames, as /metrics serves it. */
async function queuedFrames(server: TestServer): Promise<number> {
  const answer = await server.app.inject({ method: 'GET', url: '/metrics' });
  const line = answer.body.split('\n').find((l) => l.startsWith('seatwatch_commit_queue_frames '));
  return Number(line?.split(' ')[1]);
}

describe.each(DB_KINDS)('group commit on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer | undefined;

  beforeEach(async () => {
    db = await createTestDatabase(kind);
  });
  afterEach(async () => {
    await server?.close();
    await db?.close();
  });

  const storedEvents = async (agentIds: string[]) => {
    const [row] = await db.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(events)
      .where(inArray(events.agentId, agentIds));
    return row!.n;
  };

  it('commits the frames of agents that arrive within the delay together', async () => {
    // Long enough that the five frames, sent one after the other, all arrive within it.
    server = await startTestServer({ database: db, config: { commitDelayMs: 2_000 } });
    const groups: CommittedFrame[][] = [];
    server.app.seatwatch.ingest.subscribe({ committed: (frames) => void groups.push([...frames]) });
    const seats = await Promise.all(Array.from({ length: 5 }, () => enrollTestAgent(server!)));
    const clients = await Promise.all(seats.map((seat) => connectAgent(server!, seat)));

    for (const client of clients) client.sendBatch(1, sampleEvents(2));
    await Promise.all(clients.map((client) => client.ack(1)));

    // Observers hear of a commit after its acks went out.
    await expect.poll(() => groups.flat().length).toBe(5);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.map((frame) => frame.agent.agentId).sort()).toEqual(
      seats.map((seat) => seat.agentId).sort(),
    );
    expect(await storedEvents(seats.map((seat) => seat.agentId))).toBe(10);
  });

  it('commits at once what waits when the server shuts down, whatever the delay', async () => {
    // A delay longer than the test may take: the frame is stored only if the shutdown commits it at once.
    server = await startTestServer({ database: db, config: { commitDelayMs: 60_000 } });
    const seat = await enrollTestAgent(server);
    const client = await connectAgent(server, seat);
    const acked = client.ack(1);
    client.sendBatch(1, sampleEvents(3));
    // The frame has been read, verified and queued for its commit before the shutdown begins.
    await expect.poll(() => queuedFrames(server!)).toBe(1);
    await server.close();

    expect((await acked).seq).toBe(1);
    expect(await storedEvents([seat.agentId])).toBe(3);
  });
});
