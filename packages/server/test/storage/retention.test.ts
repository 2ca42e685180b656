/**
 * Retention on each database: events, spans, device events and screenshots
 * (rows and blob bytes) older than the project's retention go, in batches;
 * recent data, rows under legal hold and seats under legal hold stay.
 */
import type { Event } from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  captureEvent,
  connectAgent,
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  startTestServer,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activitySpans, deviceEvents, events, screenshots } from '../../src/db/schema/index.js';

const DAY = 86_400_000;

describe.each(DB_KINDS)('retention on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db, config: { retention: { intervalMs: 0, batchSize: 2 } } });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const batch = (time: number): Event[] => [
    { type: 'activity', time, end: time + 1000, app: 'crm', title: 'ticket' },
    { type: 'status', time: time + 1, state: 'active', idleMs: 0 },
    {
      type: 'device_attached',
      time: time + 2,
      device: {
        id: 'usb-1',
        vendorId: null,
        productId: null,
        name: 'Stick',
        manufacturer: null,
        serial: null,
        deviceClass: null,
        massStorage: true,
      },
    },
  ];

  it('deletes what is older than the retention and keeps recent and held data', async () => {
    const { projectId } = await createTestProject(server, { retentionDays: 7 });
    const now = Date.now();
    const old = now - 30 * DAY;

    const agent = await enrollTestAgent(server, { projectId });
    const client = await connectAgent(server, agent);
    const oldImage = await testJpeg(40, 30);
    const newImage = await testJpeg(50, 30);
    const sharedImage = await testJpeg(60, 30);
    client.sendBatch(1, batch(old));
    client.sendBatch(2, batch(old + 10_000));
    client.sendBatch(3, batch(now));
    client.sendBlob(4, oldImage, { event: captureEvent({ time: old }) });
    client.sendBlob(5, sharedImage, { event: captureEvent({ time: old }) });
    client.sendBlob(6, sharedImage, { event: captureEvent({ time: now }) });
    client.sendBlob(7, newImage, { event: captureEvent({ time: now }) });
    await client.ack(7);
    await client.close();

    const heldAgent = await enrollTestAgent(server, { projectId, hostname: 'held-seat' });
    const held = await connectAgent(server, heldAgent);
    held.sendBatch(1, batch(old));
    await held.ack(1);
    await held.close();
    const [heldSeat] = await server
      .adminOk<Array<{ id: string; name: string }>>('GET', `/projects/${projectId}/seats`)
      .then((seats) => seats.filter((s) => s.name === 'held-seat'));
    await server.adminOk('PUT', `/projects/${projectId}/seats/${heldSeat!.id}/legal-hold`, { hold: true });

    const oldShot = await db.database.db
      .select()
      .from(screenshots)
      .where(eq(screenshots.sha256, sha256Hex(oldImage)));
    const report = await server.app.seatwatch.runRetention();
    expect(report).toMatchObject({
      ran: true,
      rows: { events: 8, activity_spans: 2, device_events: 2, screenshots: 2 },
      blobs: 2,
    });

    const rowsOf = async (
      table: typeof events | typeof deviceEvents | typeof activitySpans | typeof screenshots,
      id: string,
    ) => (await db.database.db.select().from(table).where(eq(table.agentId, id))).length;
    expect(await rowsOf(events, agent.agentId)).toBe(3 + 2);
    expect(await rowsOf(activitySpans, agent.agentId)).toBe(1);
    expect(await rowsOf(deviceEvents, agent.agentId)).toBe(1);
    expect(await rowsOf(screenshots, agent.agentId)).toBe(2);
    expect(await rowsOf(events, heldAgent.agentId)).toBe(3);

    expect(await server.blobs.has(sha256Hex(oldImage))).toBe(false);
    expect(await server.blobs.has(oldShot[0]!.thumbSha256!)).toBe(false);
    expect(await server.blobs.has(sha256Hex(sharedImage))).toBe(true);
    expect(await server.blobs.has(sha256Hex(newImage))).toBe(true);

    expect(await server.app.seatwatch.runRetention()).toMatchObject({
      rows: { events: 0, activity_spans: 0, device_events: 0, screenshots: 0 },
      blobs: 0,
    });
  });
});
