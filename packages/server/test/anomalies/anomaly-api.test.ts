/**
 * /api/v1/anomalies on a real server: listing with filters and paging,
 * detail with the nearest screenshots, status changes, rule settings and
 * shift schedules with their validation, and the role and team scope of
 * every route (the admin token, a supervisor of one team, nobody).
 */
import type { CaptureEvent, Device, Event } from '@seatwatch/shared';
import type {
  Anomaly,
  AnomalyDetail,
  RuleSettingsList,
  RuleSettingView,
} from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  captureEvent,
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  httpJson,
  type TestDatabase,
  testJpeg,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AnomalyWorld,
  createAnomalyWorld,
  OFFICE_HOURS_UTC,
  type Seat,
} from './support/anomaly-world.js';

const stick = (serial: string): Device => ({
  id: serial,
  vendorId: '0781',
  productId: '5581',
  name: 'SanDisk Ultra',
  manufacturer: 'SanDisk',
  serial,
  deviceClass: 'mass-storage',
  massStorage: true,
});

describe.each(DB_KINDS)('anomaly API on %s', (kind) => {
  let db: TestDatabase;
  let world: AnomalyWorld;
  let projectId: string;
  let seatA: Seat;
  let seatB: Seat;
  let supervisor: SignedIn;

  const attach = (seat: Seat, serial: string) =>
    seat.send([{ type: 'device_attached', time: world.clock.now(), device: stick(serial) } as Event]);

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    world = await createAnomalyWorld(db);
    projectId = (await createTestProject(world.server)).projectId;
    seatA = await world.seat({ projectId, schedule: OFFICE_HOURS_UTC, osUser: 'anna' });
    seatB = await world.seat({ projectId, schedule: OFFICE_HOURS_UTC, osUser: 'ben' });
    supervisor = await createSignedInUser(world.server, `sup-${kind}`, [
      { role: 'supervisor', projectId, teamId: seatA.teamId },
    ]);
    await attach(seatA, 'A1');
    world.clock.advance(1000);
    await attach(seatB, 'B1');
  });
  afterAll(async () => {
    await world?.close();
    await db?.close();
  });

  it('lists newest first with filters, and pages with the cursor header', async () => {
    const all = await world.apiOk<Anomaly[]>('GET', `?projectId=${projectId}`);
    // Seat B's stick came a second later: its two anomalies first.
    expect(all.map((a) => a.agentId)).toEqual([
      seatB.agent.agentId,
      seatB.agent.agentId,
      seatA.agent.agentId,
      seatA.agent.agentId,
    ]);
    expect(all).toHaveLength(4);
    expect(all.find((a) => a.rule === 'usb_storage')).toMatchObject({
      summary: 'Mass-storage device attached: SanDisk Ultra',
    });
    expect(all[0]!.seatName).toMatch(/^seat-/);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.lastAt).toBeGreaterThanOrEqual(all[i]!.lastAt);

    const usb = await world.apiOk<Anomaly[]>('GET', `?projectId=${projectId}&rule=usb_storage`);
    expect(usb.map((a) => a.agentId).sort()).toEqual([seatA.agent.agentId, seatB.agent.agentId].sort());
    const high = await world.apiOk<Anomaly[]>('GET', `?projectId=${projectId}&minSeverity=high`);
    expect(high.every((a) => a.severity === 'high')).toBe(true);
    expect(high).toHaveLength(2);
    expect(await world.apiOk('GET', `?projectId=${projectId}&status=resolved,false_positive`)).toEqual([]);
    expect((await world.api('GET', `?status=closed`)).status).toBe(400);

    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await world.api<Anomaly[]>(
        'GET',
        `?projectId=${projectId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      paged.push(...page.body.map((a) => a.id));
      cursor = page.headers['seatwatch-next-cursor'] as string | undefined;
    } while (cursor);
    expect(paged).toEqual(all.map((a) => a.id));
  });

  it('shows one anomaly with the seat screenshots nearest to it', async () => {
    const seat = await world.seat({ projectId, schedule: OFFICE_HOURS_UTC, osUser: 'carla' });
    const shot = async () => {
      seat.seq += 1;
      seat.client.sendBlob(seat.seq, await testJpeg(), {
        time: world.clock.now(),
        event: captureEvent({ time: world.clock.now() }) as CaptureEvent,
      });
      await seat.client.ack(seat.seq);
    };
    await shot();
    world.clock.advance(60_000);
    await attach(seat, 'C1');
    world.clock.advance(30_000);
    await shot();
    const [anomaly] = await world.apiOk<Anomaly[]>('GET', `?agentId=${seat.agent.agentId}&rule=usb_storage`);
    const detail = await world.apiOk<AnomalyDetail>('GET', `/${anomaly!.id}`);
    expect(detail.anomaly).toEqual(anomaly);
    expect(detail.screenshots.map((s) => s.offsetMs)).toEqual([-60_000, 30_000]);
  });

  it('changes status with a comment; a reopen next to a newer open anomaly conflicts', async () => {
    const [first] = await world.apiOk<Anomaly[]>('GET', `?agentId=${seatA.agent.agentId}&rule=usb_storage`);
    const acked = await world.apiOk<Anomaly>('POST', `/${first!.id}/status`, {
      status: 'acknowledged',
      comment: 'asked the operator',
    });
    expect(acked).toMatchObject({
      status: 'acknowledged',
      comment: 'asked the operator',
      statusBy: 'admin-token',
    });
    expect(acked.statusAt).toBe(world.clock.now());

    // The same stick again: a new open anomaly (the acknowledged one keeps its story).
    await attach(seatA, 'A1');
    const open = await world.apiOk<Anomaly[]>(
      'GET',
      `?agentId=${seatA.agent.agentId}&rule=usb_storage&status=open`,
    );
    expect(open).toHaveLength(1);
    expect(open[0]!.id).not.toBe(first!.id);
    const reopen = await world.api('POST', `/${first!.id}/status`, { status: 'open', comment: 'again' });
    expect(reopen.status).toBe(409);
    expect((await world.api('POST', `/${first!.id}/status`, { status: 'maybe', comment: '' })).status).toBe(
      400,
    );
    expect(
      (await world.api('POST', '/no-such-anomaly/status', { status: 'resolved', comment: '' })).status,
    ).toBe(404);
  });

  it('shows a supervisor only its team and lets it act only there', async () => {
    const seen = await asUser<Anomaly[]>(world.server, supervisor, 'GET', '/api/v1/anomalies');
    expect(seen.status).toBe(200);
    expect(new Set(seen.body.map((a) => a.agentId))).toEqual(new Set([seatA.agent.agentId]));
    const [ofB] = await world.apiOk<Anomaly[]>('GET', `?agentId=${seatB.agent.agentId}`);
    expect((await asUser(world.server, supervisor, 'GET', `/api/v1/anomalies/${ofB!.id}`)).status).toBe(403);
    expect(
      (
        await asUser(world.server, supervisor, 'POST', `/api/v1/anomalies/${ofB!.id}/status`, {
          status: 'resolved',
          comment: '',
        })
      ).status,
    ).toBe(403);
    const mine = seen.body[0]!;
    const done = await asUser<Anomaly>(
      world.server,
      supervisor,
      'POST',
      `/api/v1/anomalies/${mine.id}/status`,
      {
        status: 'false_positive',
        comment: 'company stick',
      },
    );
    expect(done.body).toMatchObject({ status: 'false_positive', statusBy: `user:${supervisor.username}` });
    // Settings are an administrator's.
    expect(
      (
        await asUser(
          world.server,
          supervisor,
          'PUT',
          `/api/v1/anomalies/projects/${projectId}/rules/usb_storage`,
          { enabled: false },
        )
      ).status,
    ).toBe(403);
    expect((await httpJson('GET', `${world.server.url}/api/v1/anomalies`)).status).toBe(401);
  });

  it('reads and writes rule settings, validated against each rule', async () => {
    const list = await world.apiOk<RuleSettingsList>('GET', `/projects/${projectId}/rules`);
    expect(list.rules).toHaveLength(13);
    const silent = list.rules.find((r) => r.rule === 'agent_silent')!;
    expect(silent).toMatchObject({
      enabled: true,
      severity: 'high',
      config: { heartbeatMultiplier: 3, silenceMs: null },
      updatedAt: null,
    });
    expect(silent.configSchema).toMatchObject({
      type: 'object',
      properties: { heartbeatMultiplier: { minimum: 1.5 } },
    });

    const updated = await world.apiOk<RuleSettingView>('PUT', `/projects/${projectId}/rules/long_idle`, {
      severity: 'medium',
      config: { thresholdMs: 45 * 60_000 },
    });
    expect(updated).toMatchObject({
      enabled: true,
      severity: 'medium',
      config: { thresholdMs: 45 * 60_000, states: ['idle', 'locked'] },
      updatedBy: 'admin-token',
    });
    const bad = await world.api<{ error: string; message: string }>(
      'PUT',
      `/projects/${projectId}/rules/long_idle`,
      {
        config: { thresholdMs: 5 },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/thresholdMs/);
    expect(
      (await world.api('PUT', `/projects/${projectId}/rules/no_such_rule`, { enabled: false })).status,
    ).toBe(400);
    expect(
      (await world.api('PUT', '/projects/no-such-project/rules/tamper', { enabled: false })).status,
    ).toBe(404);
  });

  it('keeps one shift schedule per team, in a real time zone, and only for teams of the project', async () => {
    const path = `/projects/${projectId}/teams/${seatA.teamId}/schedule`;
    const schedule = await world.apiOk('GET', path);
    expect(schedule).toMatchObject({ teamId: seatA.teamId, schedule: OFFICE_HOURS_UTC });
    const berlin = {
      ...OFFICE_HOURS_UTC,
      timeZone: 'Europe/Berlin',
      exceptions: [{ date: '2026-12-24', intervals: [], note: 'closed' }],
    };
    expect(await world.apiOk('PUT', path, berlin)).toMatchObject({ schedule: berlin });
    expect((await world.api('PUT', path, { ...berlin, timeZone: 'Mars/Olympus' })).status).toBe(400);
    expect(
      (await world.api('PUT', path, { ...berlin, weekly: [{ day: 8, start: '09:00', end: '17:00' }] }))
        .status,
    ).toBe(400);
    const elsewhere = await createTestProject(world.server);
    expect(
      (await world.api('PUT', `/projects/${elsewhere.projectId}/teams/${seatA.teamId}/schedule`, berlin))
        .status,
    ).toBe(404);
    const all = await world.apiOk<unknown[]>('GET', `/projects/${projectId}/schedules`);
    expect(all).toHaveLength(3);
    expect((await world.api('DELETE', path)).status).toBe(204);
    expect((await world.api('GET', path)).status).toBe(404);
  });
});
