/**
 * Hellos before data frames (agent-gateway/hello-first.ts): the gate on its
 * own with a fake timer, then a real server on PostgreSQL where one agent's
 * hello is held in its session statement (its agent row locked from another
 * session) while a connected agent sends a frame.
 */
import {
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  lockAgentRow,
  sampleEvents,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createHelloFirst, type HelloFirstTimers } from '../../src/agent-gateway/hello-first.js';

function fakeTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  const timers: HelloFirstTimers = {
    setTimeout(callback) {
      pending.set(++next, callback);
      return next;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  const fire = () => {
    for (const [id, callback] of [...pending]) {
      pending.delete(id);
      callback();
    }
  };
  return { timers, pending, fire };
}

const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('hello first (the gate)', () => {
  it('lets frames go while no hello is handled, and holds them until the last hello ends', async () => {
    const { timers, pending } = fakeTimers();
    const gate = createHelloFirst(5000, timers);
    expect(gate.room()).toBeNull();

    gate.helloStarted();
    gate.helloStarted();
    const first = gate.room()!;
    const second = gate.room()!;
    expect(second).toBe(first);
    gate.helloEnded();
    expect(await settled(first)).toBe(false);
    gate.helloEnded();
    expect(await settled(first)).toBe(true);
    expect(pending.size).toBe(0);
    expect(gate.room()).toBeNull();
  });

  it('holds a frame at most maxHoldMs, so a stream of hellos delays data but never stops it', async () => {
    const { timers, fire } = fakeTimers();
    const gate = createHelloFirst(5000, timers);
    gate.helloStarted();
    const held = gate.room()!;
    fire();
    expect(await settled(held)).toBe(true);
    // Hellos still come: the next frame waits again, for a new hold.
    const next = gate.room()!;
    expect(next).not.toBe(held);
    expect(await settled(next)).toBe(false);
    gate.helloEnded();
    expect(await settled(next)).toBe(true);
  });

  it('never counts below zero (an end without a start lets frames go)', () => {
    const gate = createHelloFirst(5000, fakeTimers().timers);
    gate.helloEnded();
    expect(gate.inFlight).toBe(0);
    gate.helloStarted();
    expect(gate.inFlight).toBe(1);
  });
});

describe('hello first (a server on postgres)', () => {
  let db: TestDatabase | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    await db?.close();
  });

  it("holds a connected agent's frame while another agent's hello is being handled", async () => {
    db = await createTestDatabase('postgres');
    server = await startTestServer({ database: db });
    const connected = await connectAgent(server, await enrollTestAgent(server));
    const arriving = await enrollTestAgent(server);
    const client = await TestAgentClient.connect(server, arriving);

    // The arriving agent's session statement waits on its row: its hello stays in flight.
    const lock = await lockAgentRow(db.url!, arriving.agentId);
    try {
      const welcomed = client.hello();
      await lock.blocked();
      let ackedAt = 0;
      const acked = connected.ack(1).then((ack) => {
        ackedAt = performance.now();
        return ack;
      });
      connected.sendBatch(1, sampleEvents(2));
      // Without the gate this frame commits in a few tens of milliseconds (the commit delay is 20 ms).
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(ackedAt).toBe(0);
      const releasedAt = performance.now();
      await lock.release();
      expect((await acked).seq).toBe(1);
      expect(ackedAt).toBeGreaterThanOrEqual(releasedAt);
      await welcomed;
    } finally {
      await lock.end();
    }
  });
});
