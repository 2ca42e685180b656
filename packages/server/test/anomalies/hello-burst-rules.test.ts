/**
 * Hellos at once (issue #15, the connect storm): the rules engine asks its
 * questions of many hellos in one statement (engine/coalesced-read.ts), and
 * each agent must still get its own answer: the other seats of its own OS
 * user, in its own project, and the anomalies of its own absence resolved.
 */
import type { Event } from '@seatwatch/shared';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import { and, inArray, isNotNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agents } from '../../src/db/schema/index.js';
import { type AnomalyWorld, createAnomalyWorld, type Seat } from './support/anomaly-world.js';

describe.each(DB_KINDS)('hellos at once on %s', (kind) => {
  let db: TestDatabase;
  let world: AnomalyWorld;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    world = await createAnomalyWorld(db);
  });
  afterAll(async () => {
    await world?.close();
    await db?.close();
  });

  const rulesOf = async (seat: Seat) =>
    (await world.anomaliesOf(seat.agent.agentId)).map((a) => `${a.rule}/${a.key}`).sort();

  /** Closes the seats' connections and waits until the database no longer shows them connected. */
  const disconnect = async (seats: readonly Seat[]) => {
    await Promise.all(seats.map((seat) => Promise.all([seat.disconnected(), seat.client.close()])));
    const ids = seats.map((seat) => seat.agent.agentId);
    const stillConnected = () =>
      world.server.db.database.db
        .select({ id: agents.id })
        .from(agents)
        .where(and(inArray(agents.id, ids), isNotNull(agents.session)));
    await expect.poll(async () => (await stillConnected()).length).toBe(0);
  };

  it("answers each of a burst of hellos with its own OS user's other seats", async () => {
    const { projectId } = await createTestProject(world.server);
    const { projectId: elsewhere } = await createTestProject(world.server);
    const returning = await Promise.all([
      world.seat({ projectId, osUser: 'ACME\\alice' }),
      world.seat({ projectId, osUser: 'bob' }),
      world.seat({ projectId, osUser: 'carol' }),
      world.seat({ projectId: elsewhere, osUser: 'dave' }),
    ]);
    await disconnect(returning);
    const active = [{ type: 'status', time: world.clock.now(), state: 'active', idleMs: 0 } as Event];
    const alice = await world.seat({ projectId, osUser: 'acme\\ALICE' });
    await alice.send(active);
    const bob = await world.seat({ projectId, osUser: 'BOB' });
    await bob.send(active);
    // The same account in another project is someone else.
    const daveInProject = await world.seat({ projectId, osUser: 'dave' });
    await daveInProject.send(active);

    await Promise.all(returning.map((seat) => seat.reconnect()));
    await world.settle();

    const [alice2, bob2, carol, daveElsewhere] = returning;
    expect(await rulesOf(alice2!)).toEqual(['concurrent_login/acme\\alice']);
    expect(await rulesOf(bob2!)).toEqual(['concurrent_login/bob']);
    expect(await rulesOf(carol!)).toEqual([]);
    expect(await rulesOf(daveElsewhere!)).toEqual([]);
    const [aliceClash] = await world.anomaliesOf(alice2!.agent.agentId);
    expect(aliceClash!.evidence).toMatchObject([{ kind: 'login' }, { otherAgentId: alice.agent.agentId }]);
    const [bobClash] = await world.anomaliesOf(bob2!.agent.agentId);
    expect(bobClash!.evidence).toMatchObject([{ kind: 'login' }, { otherAgentId: bob.agent.agentId }]);
  });
});
