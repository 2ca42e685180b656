/**
 * agent_silent (killed, cut off, silent, not back after a restart),
 * agent_stopped, long_idle and off_hours through real sockets to a real
 * server, with shift schedules set through the API and a fake clock moved
 * by the test (timers fire as it passes them; nothing sleeps).
 */
import type { Event, LifecycleEvent } from '@seatwatch/shared';
import type { ShiftSchedule } from '@seatwatch/shared/dashboard-api';
import { createTestDatabase, DB_KINDS, TestAgentClient, type TestDatabase } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnomalyWorld,
  createAnomalyWorld,
  OFFICE_HOURS_UTC,
  type Seat,
} from './support/anomaly-world.js';

/** Weekends only: a Monday is outside the shift. */
const WEEKENDS: ShiftSchedule = {
  timeZone: 'UTC',
  weekly: [6, 7].map((day) => ({ day, start: '00:00', end: '00:00' })),
  exceptions: [],
};
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe.each(DB_KINDS)('presence rules on %s', (kind) => {
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
  const status = (state: 'active' | 'idle' | 'locked', idleMs = 0): Event =>
    ({ type: 'status', time: now(), state, idleMs }) as Event;
  const stopping = (reason: LifecycleEvent['reason']): Event =>
    ({
      type: 'lifecycle',
      time: now(),
      phase: 'stopping',
      reason,
      detail: 'stopped',
      agentVersion: '0.1.0-test',
    }) as Event;

  /** Kills the connection the way a killed agent or a pulled cable does: no close handshake. */
  const kill = async (seat: Seat) => {
    const gone = seat.disconnected();
    seat.client.ws.terminate();
    const close = await gone;
    // The close waits a moment for a stop event still in flight.
    world.clock.advance(3 * SECOND);
    await world.settle();
    return close;
  };

  const ofRule = async (seat: Seat, rule: string) =>
    (await world.anomaliesOf(seat.agent.agentId)).filter((a) => a.rule === rule);

  it('agent_silent: a killed agent on shift is flagged at once and closed when it returns', async () => {
    const seat = await world.seat({ schedule: OFFICE_HOURS_UTC });
    await seat.send([status('idle', 5 * MINUTE)]);
    const close = await kill(seat);
    expect(close.byServer).toBe(false);
    const [flagged] = await ofRule(seat, 'agent_silent');
    expect(flagged).toMatchObject({ severity: 'high', status: 'open', count: 1 });
    expect(flagged!.evidence).toMatchObject([{ kind: 'login', cause: 'connection_lost', closeCode: 1006 }]);

    await seat.reconnect();
    expect(await ofRule(seat, 'agent_silent')).toMatchObject([
      { status: 'resolved', statusBy: 'system', comment: 'the agent reconnected' },
    ]);
  });

  it('agent_silent: an agent killed again soon after returning reopens the same anomaly', async () => {
    const seat = await world.seat({ schedule: OFFICE_HOURS_UTC });
    await kill(seat);
    await seat.reconnect();
    await kill(seat);
    const rows = await ofRule(seat, 'agent_silent');
    expect(rows).toMatchObject([{ status: 'open', count: 2 }]);
  });

  it('near miss: a locked seat off shift that disconnects is not flagged', async () => {
    const seat = await world.seat({ schedule: WEEKENDS });
    await seat.send([status('locked', 10 * MINUTE)]);
    await kill(seat);
    expect(await world.anomaliesOf(seat.agent.agentId)).toEqual([]);
  });

  it('agent_silent: an active seat whose connection stays open but carries nothing for > 3 heartbeats', async () => {
    const seat = await world.seat();
    await seat.send([status('active')]);
    // Default heartbeat 15 s: at exactly 45 s of silence it is not yet silent.
    world.clock.advance(45 * SECOND);
    await world.tick();
    expect(await ofRule(seat, 'agent_silent')).toEqual([]);
    world.clock.advance(1 * SECOND);
    await world.tick();
    const [silent] = await ofRule(seat, 'agent_silent');
    expect(silent).toMatchObject({ status: 'open', severity: 'high' });
    expect(silent!.evidence).toMatchObject([{ cause: 'no_frames', thresholdMs: 45_000 }]);

    // Frames again: over.
    await seat.send([{ type: 'activity', time: now(), end: now() + 1000, app: 'crm', title: 'Ticket' }]);
    expect(await ofRule(seat, 'agent_silent')).toMatchObject([
      { status: 'resolved', comment: 'frames arrived again' },
    ]);
  });

  it('near miss: a locked seat that sends nothing for minutes is not silent', async () => {
    const seat = await world.seat({ schedule: OFFICE_HOURS_UTC });
    await seat.send([status('locked', 0)]);
    world.clock.advance(5 * MINUTE);
    await world.tick();
    expect(await ofRule(seat, 'agent_silent')).toEqual([]);
  });

  it('agent_stopped: a clean stop during the shift is its own, lower-severity anomaly', async () => {
    const seat = await world.seat({ schedule: OFFICE_HOURS_UTC });
    await seat.send([stopping('service_stop')]);
    const gone = seat.disconnected();
    await seat.client.close();
    await gone;
    world.clock.advance(3 * SECOND);
    const rows = await world.anomaliesOf(seat.agent.agentId);
    expect(rows).toMatchObject([{ rule: 'agent_stopped', severity: 'medium', status: 'open' }]);
    expect(rows[0]!.evidence).toMatchObject([{ kind: 'event', type: 'lifecycle', reason: 'service_stop' }]);
  });

  it('near miss: a clean stop outside the shift raises nothing', async () => {
    const seat = await world.seat({ schedule: WEEKENDS });
    await seat.send([stopping('shutdown')]);
    const gone = seat.disconnected();
    await seat.client.close();
    await gone;
    world.clock.advance(3 * SECOND);
    expect(await world.anomaliesOf(seat.agent.agentId)).toEqual([]);
  });

  it('long_idle: idle longer than the threshold inside the shift, raised by the timer', async () => {
    const seat = await world.seat({ schedule: OFFICE_HOURS_UTC });
    await world.apiOk('PUT', `/projects/${seat.projectId}/rules/long_idle`, {
      config: { thresholdMs: 20 * MINUTE },
    });
    // Idle since 3 minutes ago (the OS idle time in the status event).
    await seat.send([status('idle', 3 * MINUTE)]);
    world.clock.advance(16 * MINUTE);
    await world.tick();
    expect(await ofRule(seat, 'long_idle')).toEqual([]);
    world.clock.advance(2 * MINUTE);
    await world.tick();
    const [idle] = await ofRule(seat, 'long_idle');
    expect(idle).toMatchObject({
      severity: 'low',
      status: 'open',
      key: new Date(now()).toISOString().slice(0, 10),
    });
    expect(idle!.evidence).toMatchObject([
      { kind: 'event', type: 'status', idleInShiftMs: expect.any(Number) },
    ]);
  });

  it('near miss: a short break inside the shift is no long idle', async () => {
    const seat = await world.seat({ schedule: OFFICE_HOURS_UTC });
    await seat.send([status('idle', 3 * MINUTE)]);
    world.clock.advance(20 * MINUTE);
    await seat.send([status('active')]);
    await world.tick();
    expect(await ofRule(seat, 'long_idle')).toEqual([]);
  });

  it('off_hours: activity outside the shift, one anomaly per local day; idle seats and on-shift activity are not', async () => {
    const offShift = await world.seat({ schedule: WEEKENDS });
    await offShift.send([status('idle', 5 * MINUTE)]);
    await offShift.send([
      { type: 'activity', time: now(), end: now() + 5000, app: 'crm', title: 'left open' },
    ]);
    expect(await ofRule(offShift, 'off_hours')).toEqual([]);

    await offShift.send([
      status('active'),
      { type: 'activity', time: now(), end: now() + 5000, app: 'crm', title: 'Ticket 1' },
      { type: 'activity', time: now() + 5000, end: now() + 9000, app: 'crm', title: 'Ticket 2' },
    ]);
    const rows = await ofRule(offShift, 'off_hours');
    expect(rows).toMatchObject([
      { severity: 'medium', key: new Date(now()).toISOString().slice(0, 10), count: 3 },
    ]);

    const onShift = await world.seat({ schedule: OFFICE_HOURS_UTC });
    await onShift.send([
      status('active'),
      { type: 'activity', time: now(), end: now() + 5000, app: 'crm', title: 'x' },
    ]);
    expect(await ofRule(onShift, 'off_hours')).toEqual([]);
  });

  it('after a collector restart, only agents that do not come back within the grace period are flagged', async () => {
    const back = await world.seat({ schedule: OFFICE_HOURS_UTC });
    const gone = await world.seat({ schedule: OFFICE_HOURS_UTC });
    const otherProject = await world.seat({ schedule: OFFICE_HOURS_UTC });
    const stopped = await world.seat({ schedule: OFFICE_HOURS_UTC });
    await Promise.all([back, gone, otherProject, stopped].map((s) => s.send([status('active')])));
    // This one said it was stopping (a shutdown of the PC) before the restart: it is not expected back.
    await stopped.send([
      {
        type: 'lifecycle',
        time: now(),
        phase: 'stopping',
        reason: 'signal',
        detail: 'SIGTERM',
        agentVersion: '0.1.0',
      },
    ]);
    // A graceful restart: the server closes every socket itself (1001), which flags nobody.
    const identity = world.server.identity;
    await world.close();
    const restartedAt = now() + 10 * SECOND;
    world = await createAnomalyWorld(db, { start: restartedAt, identity });
    for (const seat of [back, gone, otherProject, stopped])
      expect(await world.anomaliesOf(seat.agent.agentId)).toEqual([]);

    // Their reconnect loops find the new server; the third agent never comes back.
    await reconnectTo(world, back);
    await reconnectTo(world, otherProject);
    // Two minutes of grace, the returned agents reporting their foreground span every heartbeat.
    for (let elapsed = 0; elapsed < 2 * MINUTE; elapsed += 15 * SECOND) {
      world.clock.advance(15 * SECOND);
      for (const seat of [back, otherProject]) {
        await seat.send([
          { type: 'activity', time: now() - 15 * SECOND, end: now(), app: 'crm', title: 'Ticket' },
        ]);
      }
      await world.settle();
      await world.tick();
    }
    expect(await world.anomaliesOf(back.agent.agentId)).toEqual([]);
    expect(await world.anomaliesOf(otherProject.agent.agentId)).toEqual([]);
    expect(await world.anomaliesOf(stopped.agent.agentId)).toEqual([]);
    const [notBack] = await world.anomaliesOf(gone.agent.agentId);
    expect(notBack).toMatchObject({ rule: 'agent_silent', status: 'open' });
    expect(notBack!.evidence).toMatchObject([{ cause: 'not_back', serverStartedAt: restartedAt }]);
  });
});

/** The same enrolled agent, connected to another server (the restarted collector). */
async function reconnectTo(world: AnomalyWorld, seat: Seat): Promise<void> {
  seat.client = await TestAgentClient.connect(world.server, seat.agent);
  await seat.client.hello({ time: world.clock.now() });
  seat.seq = seat.client.welcome!.ackedSeq;
  await world.settle();
}
