/**
 * Team reports through the real HTTP API on PGlite and PostgreSQL: a team
 * with a shift schedule (Europe/Berlin, 09:00–17:00) and three seats whose
 * status events, spans and alerts are seeded in SQL for one day; the
 * report's numbers are checked against a minute-by-minute count made here
 * from the same seeded marks. Also: who may read which team, the CSV
 * (formula injection, file name) and the audit entries of each read.
 */
import type { ReportTeam, TeamReport } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DATE = '2026-11-03';
/** Europe/Berlin is UTC+1 on that date, so local midnight is 23:00 UTC the day before. */
const FROM = Date.parse('2026-11-02T23:00:00Z');
const TO = FROM + 24 * HOUR;
const at = (utc: string) => Date.parse(`2026-11-03T${utc}:00Z`);
const SHIFT = { start: at('08:00'), end: at('16:00') };

type Mark = { time: number; state: 'active' | 'idle' | 'locked' | null };
const MARKS: Record<'one' | 'two' | 'three', Mark[]> = {
  one: [
    { time: Date.parse('2026-11-02T20:00:00Z'), state: 'locked' },
    { time: at('07:30'), state: 'active' },
    { time: at('10:00'), state: 'idle' },
    { time: at('10:30'), state: 'active' },
    { time: at('12:00'), state: 'locked' },
    { time: at('12:45'), state: 'active' },
    { time: at('15:00'), state: null },
  ],
  two: [
    { time: at('09:00'), state: 'active' },
    { time: at('17:00'), state: 'idle' },
    // After the range: must not count.
    { time: Date.parse('2026-11-04T01:00:00Z'), state: 'active' },
  ],
  three: [],
};

/** The expected numbers, minute by minute from the marks: independent of the server's interval arithmetic. */
function expected(marks: Mark[]) {
  const totals = { scheduledMs: 0, activeMs: 0, idleMs: 0, lockedMs: 0, offlineMs: 0, activeOffShiftMs: 0 };
  const hours = Array.from({ length: 24 }, () => ({ active: 0, idle: 0, locked: 0, offline: 0 }));
  for (let t = FROM; t < TO; t += MINUTE) {
    const state = [...marks].reverse().find((mark) => mark.time <= t)?.state ?? null;
    const inShift = t >= SHIFT.start && t < SHIFT.end;
    const localHour = (new Date(t).getUTCHours() + 1) % 24;
    if (state) hours[localHour]![state] += MINUTE;
    if (inShift) {
      totals.scheduledMs += MINUTE;
      if (state) totals[`${state}Ms`] += MINUTE;
      else {
        totals.offlineMs += MINUTE;
        hours[localHour]!.offline += MINUTE;
      }
    } else if (state === 'active') totals.activeOffShiftMs += MINUTE;
  }
  return { totals, hours };
}

describe.each(DB_KINDS)('team reports on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let projectId: string;
  const teams = { T1: '', T2: '' };
  const seatIds = { one: '', two: '', three: '' };
  let supervisorT1: SignedIn;
  let supervisorT2: SignedIn;
  let administrator: SignedIn;
  let investigator: SignedIn;

  const exec = (query: ReturnType<typeof sql>) => db.database.db.execute(query);
  const iso = (ms: number) => new Date(ms).toISOString();

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    projectId = (await createTestProject(server, { name: 'Reports' })).projectId;
    for (const name of ['T1', 'T2'] as const) {
      teams[name] = (
        await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/teams`, { name })
      ).id;
    }
    const agentIds: Record<string, string> = {};
    for (const [key, name] of [
      ['one', 'desk-1'],
      ['two', 'desk-2'],
      ['three', 'desk-3'],
    ] as const) {
      seatIds[key] = (
        await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, {
          name,
          teamId: teams.T1,
        })
      ).id;
      agentIds[key] = (await enrollTestAgent(server, { projectId, hostname: name })).agentId;
    }
    await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, {
      name: 'desk-other',
      teamId: teams.T2,
    });
    await exec(sql`insert into anomaly_shift_schedules (team_id, project_id, time_zone, weekly, exceptions)
      values (${teams.T1}, ${projectId}, 'Europe/Berlin',
              ${JSON.stringify([1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '09:00', end: '17:00' })))}::jsonb,
              '[]'::jsonb)`);
    let seq = 1;
    for (const key of ['one', 'two'] as const) {
      for (const mark of MARKS[key]) {
        const body = mark.state
          ? { type: 'status', time: mark.time, state: mark.state, idleMs: 0 }
          : {
              type: 'lifecycle',
              time: mark.time,
              phase: 'stopping',
              reason: 'shutdown',
              detail: '',
              agentVersion: '1',
            };
        await exec(sql`insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
          values (${projectId}, ${agentIds[key]}, ${seatIds[key]}, ${seq++}, 0, ${body.type},
                  ${iso(mark.time)}::timestamptz, ${JSON.stringify(body)}::jsonb, ${iso(mark.time)}::timestamptz)`);
      }
    }
    // A lifecycle start is no presence mark; an activity event neither.
    await exec(sql`insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
      values (${projectId}, ${agentIds.one}, ${seatIds.one}, ${seq++}, 0, 'lifecycle', ${iso(at('15:30'))}::timestamptz,
              ${JSON.stringify({ type: 'lifecycle', phase: 'starting' })}::jsonb, now())`);
    const spans: [string, string, string, number, number][] = [
      ['one', 'CRM', 'Ticket 1', at('08:00'), at('09:00')],
      ['one', '=cmd|calc', 'x', at('09:00'), at('09:20')],
      ['two', 'CRM', 'Ticket 2', at('09:00'), at('09:30')],
      // From before local midnight: only its 30 minutes inside the day count.
      ['two', 'Mail', 'Inbox', Date.parse('2026-11-02T22:30:00Z'), Date.parse('2026-11-02T23:30:00Z')],
      // The day after: outside.
      ['two', 'Mail', 'Inbox', Date.parse('2026-11-04T08:00:00Z'), Date.parse('2026-11-04T09:00:00Z')],
    ];
    for (const [key, app, title, start, end] of spans) {
      await exec(sql`insert into activity_spans (project_id, agent_id, seat_id, started_at, ended_at, app, title, seq)
        values (${projectId}, ${agentIds[key]}, ${seatIds[key as 'one']}, ${iso(start)}::timestamptz,
                ${iso(end)}::timestamptz, ${app}, ${title}, ${seq++})`);
    }
    const alerts: [string, string, string, number][] = [
      ['a1', 'usb_storage', 'high', at('10:00')],
      ['a2', 'usb_storage', 'high', at('11:00')],
      ['a3', 'off_hours', 'medium', at('20:00')],
      ['a4', 'usb_storage', 'high', Date.parse('2026-11-02T12:00:00Z')],
    ];
    for (const [id, rule, severity, first] of alerts) {
      await exec(sql`insert into anomalies (id, project_id, seat_id, agent_id, rule, severity, key, first_at, last_at, status)
        values (${id}, ${projectId}, ${seatIds.one}, ${agentIds.one}, ${rule}, ${severity}, ${id},
                ${iso(first)}::timestamptz, ${iso(first + MINUTE)}::timestamptz, 'resolved')`);
    }
    supervisorT1 = await createSignedInUser(server, 'sup-t1', [
      { role: 'supervisor', projectId, teamId: teams.T1 },
    ]);
    supervisorT2 = await createSignedInUser(server, 'sup-t2', [
      { role: 'supervisor', projectId, teamId: teams.T2 },
    ]);
    administrator = await createSignedInUser(server, 'admin', [
      { role: 'administrator', projectId, teamId: null },
    ]);
    investigator = await createSignedInUser(server, 'inv', [
      { role: 'investigator', projectId, teamId: null },
    ]);
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const report = (who: SignedIn, teamId: string, query = `period=day&date=${DATE}`) =>
    asUser<TeamReport>(server, who, 'GET', `/api/v1/reports/teams/${teamId}?${query}`);

  it("computes each seat's time against the shift, as counted minute by minute", async () => {
    const answer = await report(supervisorT1, teams.T1);
    expect(answer.status).toBe(200);
    const body = answer.body;
    expect(body).toMatchObject({ period: 'day', date: DATE, timeZone: 'Europe/Berlin', from: FROM, to: TO });
    expect(body.seats.map((seat) => seat.name)).toEqual(['desk-1', 'desk-2', 'desk-3']);
    const hours = Array.from({ length: 24 }, (_, hour) => ({
      hour,
      activeMs: 0,
      idleMs: 0,
      lockedMs: 0,
      offlineMs: 0,
    }));
    for (const [index, key] of (['one', 'two', 'three'] as const).entries()) {
      const want = expected(MARKS[key]);
      const seat = body.seats[index]!;
      expect(seat).toEqual({
        seatId: seatIds[key],
        name: `desk-${index + 1}`,
        ...want.totals,
        utilization: want.totals.activeMs / want.totals.scheduledMs,
        adherence: (want.totals.activeMs + want.totals.idleMs) / want.totals.scheduledMs,
      });
      want.hours.forEach((h, hour) => {
        hours[hour]!.activeMs += h.active;
        hours[hour]!.idleMs += h.idle;
        hours[hour]!.lockedMs += h.locked;
        hours[hour]!.offlineMs += h.offline;
      });
    }
    // Spot checks that the minute count is what a person reads off the marks.
    expect(body.seats[0]).toMatchObject({
      activeMs: 5.75 * HOUR,
      idleMs: 0.5 * HOUR,
      lockedMs: 0.75 * HOUR,
      offlineMs: HOUR,
    });
    expect(body.seats[2]).toMatchObject({ offlineMs: 8 * HOUR, utilization: 0 });
    expect(body.hours).toEqual(hours);
    expect(body.totals.scheduledMs).toBe(24 * HOUR);
    expect(body.apps).toEqual([
      { app: 'CRM', ms: 1.5 * HOUR, spans: 2 },
      { app: 'Mail', ms: 0.5 * HOUR, spans: 1 },
      { app: '=cmd|calc', ms: 20 * MINUTE, spans: 1 },
    ]);
    expect(body.alerts).toEqual([
      { rule: 'usb_storage', severity: 'high', count: 2 },
      { rule: 'off_hours', severity: 'medium', count: 1 },
    ]);
  });

  it('a week starts at local midnight of its first date and runs seven days', async () => {
    const answer = await report(administrator, teams.T1, `period=week&date=${DATE}`);
    expect(answer.status).toBe(200);
    expect(answer.body.to - answer.body.from).toBe(7 * 24 * HOUR);
    expect(answer.body.seats[2]!.scheduledMs).toBe(7 * 8 * HOUR);
    // desk-1 stopped on the 3rd and never came back: the rest of the week adds nothing to it.
    expect(answer.body.seats[0]!.activeMs).toBe(expected(MARKS.one).totals.activeMs);
  });

  it('supervisors read their own teams only; investigators hold no reports', async () => {
    expect((await report(supervisorT2, teams.T1)).status).toBe(403);
    expect((await report(supervisorT2, teams.T2)).status).toBe(200);
    expect((await report(investigator, teams.T1)).status).toBe(403);
    expect(
      (
        await asUser(
          server,
          supervisorT2,
          'GET',
          `/api/v1/reports/teams/${teams.T1}/csv?period=day&date=${DATE}`,
        )
      ).status,
    ).toBe(403);
    expect((await report(supervisorT1, 'no-such-team')).status).toBe(404);
    expect(
      (await asUser(server, null, 'GET', `/api/v1/reports/teams/${teams.T1}?period=day&date=${DATE}`)).status,
    ).toBe(401);
    const listed = await asUser<ReportTeam[]>(server, supervisorT2, 'GET', '/api/v1/reports/teams');
    expect(listed.body.map((team) => team.name)).toEqual(['T2']);
    const all = await asUser<ReportTeam[]>(server, administrator, 'GET', '/api/v1/reports/teams');
    expect(all.body.map((team) => [team.name, team.hasSchedule])).toEqual([
      ['T1', true],
      ['T2', false],
    ]);
    expect((await report(supervisorT1, teams.T1, 'period=month&date=2026-11-03')).status).toBe(400);
    expect((await report(supervisorT1, teams.T1, 'period=day&date=2026-13-45')).status).toBe(400);
    expect((await report(supervisorT1, teams.T1, 'period=day&date=2026-02-30')).status).toBe(400);
  });

  it('exports CSV with formula-looking cells defused and a safe file name', async () => {
    const answer = await asUser<string>(
      server,
      supervisorT1,
      'GET',
      `/api/v1/reports/teams/${teams.T1}/csv?period=day&date=${DATE}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(answer.headers['content-disposition']).toBe(`attachment; filename="seatwatch-T1-day-${DATE}.csv"`);
    const lines = answer.body.split('\r\n');
    expect(lines[0]).toBe(
      'seat,scheduled_h,active_h,idle_h,locked_h,offline_h,active_off_shift_h,utilization_pct,adherence_pct',
    );
    expect(lines[1]).toBe('desk-1,8,5.75,0.5,0.75,1,0.5,71.9,78.1');
    expect(lines).toContain("'=cmd|calc,0.33,1");
    expect(lines.some((line) => line.startsWith('=cmd'))).toBe(false);
  });

  it('records every report read in the audit log', async () => {
    const rows = (await exec(
      sql`select actor, target->>'id' as target_id, details->>'format' as format from audit_log where action = 'report.read' order by seq`,
    )) as unknown as { rows: { actor: string; target_id: string; format: string }[] };
    const list = rows.rows;
    expect(list.some((row) => row.actor === 'user:sup-t1' && row.format === 'csv')).toBe(true);
    expect(
      list.some((row) => row.actor === 'user:sup-t1' && row.format === 'json' && row.target_id === teams.T1),
    ).toBe(true);
    // Refused reads never reach the service.
    expect(list.some((row) => row.actor === 'user:sup-t2' && row.target_id === teams.T1)).toBe(false);
  });
});
