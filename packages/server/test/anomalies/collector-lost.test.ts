// PostgreSQL only: two server processes share one database, and PGlite is one process's database.
/**
 * A collector process that stops beating (killed outright, or hung) next to
 * another (issue #15): the living one marks the agents it held disconnected
 * and, as after its own restart, flags with `not_back` those that are not
 * back on any process after the grace period. Agents that come back, and
 * agents held by the living process, are not flagged. (The real SIGKILL of a
 * real process is in test/operations/dead-collector.test.ts; here the dead
 * process's beat is made stale in the database, so that the fake clocks of
 * the two engines decide the rest.)
 */
import type { Event } from '@seatwatch/shared';
import { until } from '@seatwatch/testkit';
import { createTestDatabase, TestAgentClient, type TestDatabase } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/connect.js';
import {
  type AnomalyWorld,
  createAnomalyWorld,
  MONDAY_10_UTC,
  OFFICE_HOURS_UTC,
} from './support/anomaly-world.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('agents of a collector process found dead', () => {
  let db: TestDatabase;
  let living: AnomalyWorld;
  let dead: AnomalyWorld;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    // The living process beats often; the dead one's first beat is its last (the test makes it stale).
    living = await createAnomalyWorld(db, {
      start: MONDAY_10_UTC,
      config: { collectors: { heartbeatMs: 200, staleAfterMs: 60_000 } },
    });
    dead = await createAnomalyWorld(db, {
      start: MONDAY_10_UTC + 3 * MINUTE,
      identity: living.server.identity,
      config: { collectors: { heartbeatMs: 600_000, staleAfterMs: 1_800_000 } },
    });
  }, 60_000);
  afterAll(async () => {
    await dead?.close();
    await living?.close();
    await db?.close();
  });

  const active = (world: AnomalyWorld): Event =>
    ({ type: 'status', time: world.clock.now(), state: 'active', idleMs: 0 }) as Event;
  const sessionOf = async (agentId: string) =>
    (
      await queryRows<{ session: string | null }>(
        db.database.db,
        sql`select session from agents where id = ${agentId}`,
      )
    )[0]!.session;

  it('flags with not_back only the ones not back within the grace period', async () => {
    // The living process's own restart check is over (nothing to flag) before anything happens.
    living.clock.advance(2 * MINUTE + SECOND);
    await living.tick();

    const kept = await living.seat({ schedule: OFFICE_HOURS_UTC });
    await kept.send([active(living)]);
    const lost = await dead.seat({ schedule: OFFICE_HOURS_UTC });
    const back = await dead.seat({ schedule: OFFICE_HOURS_UTC });
    await Promise.all([lost, back].map((seat) => seat.send([active(dead)])));

    // The dead process stops beating: its row's beat is an hour old, and the living one's next beat finds it.
    living.clock.advance(2 * MINUTE);
    const lostAt = living.clock.now();
    await queryRows(
      db.database.db,
      sql`update collector_processes set heartbeat_at = now() - interval '1 hour'
          where started_at = (select max(started_at) from collector_processes)`,
    );
    await until(
      'the dead process’s agents to be marked disconnected',
      async () => {
        const sessions = await Promise.all([lost, back].map((seat) => sessionOf(seat.agent.agentId)));
        return sessions.every((session) => session === null);
      },
      30_000,
    );
    expect(await sessionOf(kept.agent.agentId)).toBe(kept.client.session);
    const registered = await queryRows<{ n: string }>(
      db.database.db,
      sql`select count(*) as n from collector_processes`,
    );
    expect(Number(registered[0]!.n)).toBe(1);

    // One of them finds the living process within the grace period.
    living.clock.advance(30 * SECOND);
    back.client = await TestAgentClient.connect(living.server, back.agent);
    await back.client.hello({ time: living.clock.now() });
    await living.settle();

    // Two minutes of grace, the connected agents reporting their foreground span every heartbeat.
    back.seq = back.client.welcome!.ackedSeq;
    for (let elapsed = 0; elapsed < 2 * MINUTE; elapsed += 15 * SECOND) {
      living.clock.advance(15 * SECOND);
      const now = living.clock.now();
      for (const seat of [kept, back]) {
        seat.seq += 1;
        seat.client.sendBatch(seat.seq, [
          { type: 'activity', time: now - 15 * SECOND, end: now, app: 'crm', title: 'Ticket' },
        ]);
        await seat.client.ack(seat.seq);
      }
      await living.settle();
      await living.tick();
    }
    expect(await living.anomaliesOf(kept.agent.agentId)).toEqual([]);
    expect(await living.anomaliesOf(back.agent.agentId)).toEqual([]);
    const [notBack, ...more] = await living.anomaliesOf(lost.agent.agentId);
    expect(more).toEqual([]);
    expect(notBack).toMatchObject({ rule: 'agent_silent', status: 'open' });
    expect(notBack!.evidence).toMatchObject([{ cause: 'not_back', serverStartedAt: lostAt }]);
    await back.client.close();
  }, 120_000);
});
