/**
 * Shared seats through real ingest (issue #14): machine services (their
 * hello names no one) tell their desktop sessions with lifecycle events,
 * each attributed by the network event before it. What is stored: a login
 * record of each session's start and end for its account at the seat, with
 * the connection's IP; the sessions open now, which name the board tile's
 * operators; and concurrent_login keyed on those accounts.
 */
import { desktopSessionLifecycle, type Event } from '@seatwatch/shared';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  type TestDatabase,
} from '@seatwatch/testkit/server';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agents, logins } from '../../src/db/schema/index.js';
import { boardSeats } from '../../src/seats/seats.repository.js';
import {
  type AnomalyWorld,
  createAnomalyWorld,
  OFFICE_HOURS_UTC,
  type Seat,
} from './support/anomaly-world.js';

describe.each(DB_KINDS)('shared seats on %s', (kind) => {
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

  const now = () => world.clock.now();
  const database = () => world.server.db.database.db;
  const as = (osUser: string): Event => ({
    type: 'network',
    time: now(),
    hostname: 'shared',
    osUser,
    localIps: ['10.0.0.5'],
    gateway: null,
  });
  const start = () => desktopSessionLifecycle('starting', now(), '0.1.0');
  const end = () => desktopSessionLifecycle('stopping', now(), '0.1.0');
  const service = (phase: 'starting' | 'stopping'): Event => ({
    type: 'lifecycle',
    time: now(),
    phase,
    reason: phase === 'starting' ? 'start' : 'service_stop',
    detail: 'pid 1',
    agentVersion: '0.1.0',
  });
  /** A machine service: its hello names no operator, and it says it started. */
  const sharedSeat = async (projectId?: string) => {
    const seat = await world.seat({
      ...(projectId ? { projectId } : {}),
      osUser: '',
      schedule: OFFICE_HOURS_UTC,
    });
    await seat.send([as('root'), service('starting')]);
    return seat;
  };
  const sessionLogins = (seat: Seat) =>
    database()
      .select({
        kind: logins.kind,
        osUser: logins.osUser,
        ip: logins.ip,
        seatId: logins.seatId,
        allowed: logins.allowed,
      })
      .from(logins)
      .where(eq(logins.agentId, seat.agent.agentId))
      .orderBy(asc(logins.id))
      .then((rows) => rows.filter((row) => row.kind.startsWith('session_')));
  const seatOf = async (seat: Seat) =>
    (
      await database().select({ seatId: agents.seatId }).from(agents).where(eq(agents.id, seat.agent.agentId))
    )[0]!.seatId!;
  const tile = async (seat: Seat) =>
    (await boardSeats(database(), { all: true, projects: new Map() }, [await seatOf(seat)]))[0]!;
  const concurrent = async (seat: Seat) =>
    (await world.anomaliesOf(seat.agent.agentId)).filter((a) => a.rule === 'concurrent_login');

  it("records each session's start and end as its account's login at the seat, and names the open ones on the tile", async () => {
    const { projectId } = await createTestProject(world.server);
    const seat = await sharedSeat(projectId);
    const seatId = await seatOf(seat);
    await seat.send([as('ada'), start(), { type: 'status', time: now(), state: 'active', idleMs: 0 }]);
    await seat.send([as('bob'), start()]);
    expect((await tile(seat)).operators).toEqual(['ada', 'bob']);
    await seat.send([as('ada'), end()]);
    expect((await tile(seat)).operators).toEqual(['bob']);
    expect(await sessionLogins(seat)).toEqual([
      { kind: 'session_start', osUser: 'ada', ip: '127.0.0.1', seatId, allowed: true },
      { kind: 'session_start', osUser: 'bob', ip: '127.0.0.1', seatId, allowed: true },
      { kind: 'session_end', osUser: 'ada', ip: '127.0.0.1', seatId, allowed: true },
    ]);
    // Two operators taking turns at one computer are no concurrent login.
    expect(await concurrent(seat)).toEqual([]);

    // The service stops (or was killed and starts again): every session still open ends with it.
    await seat.send([as('root'), service('stopping')]);
    expect((await sessionLogins(seat)).at(-1)).toMatchObject({ kind: 'session_end', osUser: 'bob' });
    expect((await tile(seat)).operators).toEqual([]);
    // A resend of an already stored frame records nothing twice.
    seat.client.sendBatch(seat.seq, [as('root'), service('stopping')]);
    await seat.client.ack(seat.seq);
    await world.settle();
    expect(await sessionLogins(seat)).toHaveLength(4);
  });

  it('concurrent_login: the same account on two shared seats at once; not at a shift change from one to the other', async () => {
    const { projectId } = await createTestProject(world.server);
    const first = await sharedSeat(projectId);
    const second = await sharedSeat(projectId);
    await first.send([as('ada'), start()]);
    await first.send([as('bob'), start()]);

    // Ada signs in at the second computer while her session at the first is still open.
    await second.send([as('Ada'), start()]);
    const [clash] = await concurrent(second);
    expect(clash).toMatchObject({ rule: 'concurrent_login', key: 'ada', operator: 'Ada' });
    expect(clash!.evidence).toMatchObject([
      { kind: 'event', osUser: 'Ada' },
      { otherAgentId: first.agent.agentId },
    ]);

    // Bob's shift moves to the second computer: he logs off the first, then on at the second.
    await first.send([as('bob'), end()]);
    await second.send([as('bob'), start(), { type: 'status', time: now(), state: 'active', idleMs: 0 }]);
    expect((await concurrent(second)).map((a) => a.key)).toEqual(['ada']);
    expect(await concurrent(first)).toEqual([]);
  });

  it("concurrent_login: a single-user seat's operator with a session open on a shared seat", async () => {
    const { projectId } = await createTestProject(world.server);
    const shared = await sharedSeat(projectId);
    await shared.send([as('kim'), start()]);
    const single = await world.seat({ projectId, osUser: 'Kim' });
    const [clash] = await concurrent(single);
    expect(clash).toMatchObject({ rule: 'concurrent_login', key: 'kim' });
    expect(clash!.evidence).toMatchObject([{ kind: 'login' }, { otherAgentId: shared.agent.agentId }]);
  });

  it("a session's end in the shift is an operator logging off, not the agent stopping; the service's own stop is", async () => {
    const rulesAfterClose = async (seat: Seat) => {
      const gone = seat.disconnected();
      await seat.client.close();
      await gone;
      world.clock.advance(3000);
      return (await world.anomaliesOf(seat.agent.agentId)).map((a) => a.rule);
    };
    const loggedOff = await sharedSeat();
    await loggedOff.send([as('ada'), start()]);
    await loggedOff.send([as('ada'), end()]);
    expect(await rulesAfterClose(loggedOff)).not.toContain('agent_stopped');

    const stopped = await sharedSeat();
    await stopped.send([as('ada'), start()]);
    await stopped.send([as('root'), service('stopping')]);
    expect(await rulesAfterClose(stopped)).toContain('agent_stopped');
  });
});
