/**
 * A seat made by enrollment has no team, so no shift schedule applies to it;
 * moved into a team through the admin API while its agent stays connected,
 * it gets that team's off_hours and long_idle from the move on (issue #13),
 * and the anomalies name the new team. Real sockets, real server, a fake
 * clock moved by the test.
 */
import type { Event } from '@seatwatch/shared';
import type { Seat as SeatRow, ShiftSchedule } from '@seatwatch/shared/dashboard-api';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
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
const MINUTE = 60_000;

describe.each(DB_KINDS)('a seat moved into a team, on %s', (kind) => {
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
  const status = (state: 'active' | 'idle', idleMs = 0): Event =>
    ({ type: 'status', time: now(), state, idleMs }) as Event;
  const activity = (title: string): Event =>
    ({ type: 'activity', time: now(), end: now() + 5000, app: 'crm', title }) as Event;
  const ofRule = async (seat: Seat, rule: string) =>
    (await world.anomaliesOf(seat.agent.agentId)).filter((a) => a.rule === rule);

  /** A team with this schedule in the seat's project. */
  const teamWith = async (seat: Seat, schedule: ShiftSchedule) => {
    const team = await world.server.adminOk<{ id: string }>('POST', `/projects/${seat.projectId}/teams`, {
      name: `team-${seat.agent.hostname}`,
    });
    await world.apiOk('PUT', `/projects/${seat.projectId}/teams/${team.id}/schedule`, schedule);
    return team.id;
  };
  /** Moves the enrolled seat (named by its hostname) into the team, as an administrator would. */
  const moveInto = async (seat: Seat, teamId: string) => {
    const seats = await world.server.adminOk<SeatRow[]>('GET', `/projects/${seat.projectId}/seats`);
    const row = seats.find((s) => s.name === seat.agent.hostname)!;
    expect(row.teamId).toBeNull();
    await world.server.adminOk('PATCH', `/projects/${seat.projectId}/seats/${row.id}`, { teamId });
  };

  it('off_hours: none before the move, raised for activity after it, naming the new team', async () => {
    const seat = await world.seat();
    const teamId = await teamWith(seat, WEEKENDS);
    await seat.send([status('active'), activity('before the move')]);
    expect(await ofRule(seat, 'off_hours')).toEqual([]);

    await moveInto(seat, teamId);
    await seat.send([activity('after the move')]);
    const rows = await ofRule(seat, 'off_hours');
    expect(rows).toMatchObject([{ teamId, key: new Date(now()).toISOString().slice(0, 10) }]);
  });

  it('long_idle: the timer judges the idle seat by the schedule of the team it was moved into', async () => {
    const seat = await world.seat();
    const teamId = await teamWith(seat, OFFICE_HOURS_UTC);
    await world.apiOk('PUT', `/projects/${seat.projectId}/rules/long_idle`, {
      config: { thresholdMs: 20 * MINUTE },
    });
    await seat.send([status('idle', 3 * MINUTE)]);
    world.clock.advance(25 * MINUTE);
    await world.tick();
    expect(await ofRule(seat, 'long_idle')).toEqual([]);

    await moveInto(seat, teamId);
    await world.tick();
    expect(await ofRule(seat, 'long_idle')).toMatchObject([{ teamId, status: 'open' }]);
  });
});
