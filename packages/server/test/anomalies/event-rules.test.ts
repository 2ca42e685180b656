/**
 * Rules on what seats report in their frames: usb_storage, unknown_device,
 * prohibited_app, capture_blocked (real screenshots, one of them blank), and
 * a storm of one event, through real signed frames on a real socket to a
 * real server, on both databases.
 */
import type { CaptureEvent, Device, Event } from '@seatwatch/shared';
import {
  captureEvent,
  createTestDatabase,
  DB_KINDS,
  type TestDatabase,
  testJpeg,
} from '@seatwatch/testkit/server';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnomalyWorld, createAnomalyWorld } from './support/anomaly-world.js';

const stick: Device = {
  id: '2-1',
  vendorId: '0781',
  productId: '5581',
  name: 'SanDisk Ultra',
  manufacturer: 'SanDisk',
  serial: 'AA11',
  deviceClass: 'mass-storage',
  massStorage: true,
};
const headset: Device = {
  ...stick,
  id: '2-2',
  vendorId: '047f',
  productId: 'c056',
  name: 'Plantronics',
  serial: null,
  deviceClass: 'audio',
  massStorage: false,
};

describe.each(DB_KINDS)('event rules on %s', (kind) => {
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

  const attach = (device: Device): Event => ({ type: 'device_attached', time: world.clock.now(), device });

  it('raises usb_storage and unknown_device for a USB stick, with the event as evidence', async () => {
    const seat = await world.seat();
    await seat.send([attach(stick)]);
    const rows = await world.anomaliesOf(seat.agent.agentId);
    expect(rows.map((r) => [r.rule, r.severity, r.key]).sort()).toEqual([
      ['unknown_device', 'medium', 'usb:0781:5581:AA11'],
      ['usb_storage', 'high', 'usb:0781:5581:AA11'],
    ]);
    const usb = rows.find((r) => r.rule === 'usb_storage')!;
    expect(usb).toMatchObject({
      projectId: seat.projectId,
      seatId: expect.any(String),
      status: 'open',
      count: 1,
    });
    expect(usb.evidence).toMatchObject([
      { kind: 'event', seq: seat.seq, type: 'device_attached', name: 'SanDisk Ultra' },
    ]);
  });

  it('near miss: an approved headset and an exempt stick raise nothing', async () => {
    const seat = await world.seat();
    await world.apiOk('PUT', `/projects/${seat.projectId}/rules/unknown_device`, {
      config: {
        approved: [{ vendorId: '047F', productId: 'C056', label: 'Team headset' }, { serial: 'aa11' }],
      },
    });
    await world.apiOk('PUT', `/projects/${seat.projectId}/rules/usb_storage`, {
      config: { exempt: [{ vendorId: '0781', productId: '5581', serial: 'AA11' }] },
    });
    await seat.send([
      attach(headset),
      attach(stick),
      { type: 'device_detached', time: world.clock.now(), device: stick },
    ]);
    expect(await world.anomaliesOf(seat.agent.agentId)).toEqual([]);
  });

  it('a storm of the same event makes one row that counts every occurrence', async () => {
    const seat = await world.seat();
    await world.apiOk('PUT', `/projects/${seat.projectId}/rules/unknown_device`, { enabled: false });
    // 40 frames of 25 attaches each, sent without waiting: they land in a few group commits.
    const frames = 40;
    for (let i = 0; i < frames; i++) {
      seat.seq += 1;
      seat.client.sendBatch(
        seat.seq,
        Array.from({ length: 25 }, () => attach(stick)),
      );
    }
    await seat.client.ack(seat.seq);
    const rows = await world.anomaliesOf(seat.agent.agentId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ rule: 'usb_storage', status: 'open', count: frames * 25 });
    // Evidence stays bounded however long the storm.
    expect(rows[0]!.evidence.length).toBeLessThanOrEqual(50);
  });

  it('raises prohibited_app for a deny-listed title, and nothing for a near miss', async () => {
    const seat = await world.seat();
    await world.apiOk('PUT', `/projects/${seat.projectId}/rules/prohibited_app`, {
      config: {
        denyList: [
          { pattern: 'poker', field: 'title', match: 'contains', label: 'Gambling' },
          { pattern: 'steam', field: 'app', match: 'exact' },
        ],
      },
    });
    const t = world.clock.now();
    await seat.send([
      { type: 'activity', time: t, end: t + 5000, app: 'steamwebhelper', title: 'Library' },
      { type: 'activity', time: t + 5000, end: t + 9000, app: 'crm', title: 'Ticket 4711' },
    ]);
    expect(await world.anomaliesOf(seat.agent.agentId)).toEqual([]);

    await seat.send([
      { type: 'activity', time: t + 9000, end: t + 12_000, app: 'chrome', title: 'Online POKER room' },
    ]);
    const rows = await world.anomaliesOf(seat.agent.agentId);
    expect(rows).toMatchObject([{ rule: 'prohibited_app', severity: 'medium', key: 'title:contains:poker' }]);
    expect(rows[0]!.evidence).toMatchObject([
      { app: 'chrome', title: 'Online POKER room', label: 'Gambling' },
    ]);
  });

  it('capture_blocked: three blocked captures in a row (failed, blank, unavailable); near miss: a good one between', async () => {
    const black = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#000000' } })
      .jpeg()
      .toBuffer();
    const picture = await testJpeg();
    const attempt = (outcome: CaptureEvent['outcome']): Event =>
      captureEvent({
        time: world.clock.now(),
        outcome,
        width: 0,
        height: 0,
        reason: `${outcome} on purpose`,
      });
    const blob = async (seat: Awaited<ReturnType<AnomalyWorld['seat']>>, bytes: Uint8Array) => {
      seat.seq += 1;
      seat.client.sendBlob(seat.seq, bytes, {
        event: captureEvent({ time: world.clock.now() }) as CaptureEvent,
      });
      await seat.client.ack(seat.seq);
      await world.settle();
    };

    const nearMiss = await world.seat();
    await nearMiss.send([attempt('failed'), attempt('paused')]);
    await blob(nearMiss, new Uint8Array(black));
    await blob(nearMiss, picture);
    await nearMiss.send([attempt('failed'), attempt('unavailable')]);
    expect(await world.anomaliesOf(nearMiss.agent.agentId)).toEqual([]);

    const seat = await world.seat();
    await seat.send([attempt('failed')]);
    await blob(seat, new Uint8Array(black));
    await seat.send([attempt('unavailable')]);
    const rows = await world.anomaliesOf(seat.agent.agentId);
    expect(rows).toMatchObject([{ rule: 'capture_blocked', key: 'monitor:0', severity: 'medium', count: 1 }]);
    expect(rows[0]!.evidence.map((e) => [e.outcome, e.blank ?? false])).toEqual([
      ['failed', false],
      ['captured', true],
      ['unavailable', false],
    ]);
  });
});
