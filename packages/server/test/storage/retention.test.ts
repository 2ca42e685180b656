/**
 * Retention on each database: events, spans, device events and screenshots
 * (rows and blob bytes) older than the project's retention go, in batches;
 * recent data, rows under legal hold and seats under legal hold stay. Every
 * run is in the audit log with what it deleted, per table and project, also
 * a run that fails part way (issue #11).
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
import { auditPage } from '../../src/audit/audit-log.js';
import type { BlobStore } from '../../src/blobs/blob-store.js';
import { activitySpans, deviceEvents, events, screenshots } from '../../src/db/schema/index.js';
import { runRetention } from '../../src/retention/retention-job.js';

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
    const { projectId } = await createTestProject(server, { retentionDays: 60 });
    const now = Date.now();
    const old = now - 90 * DAY;

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
    await server.adminOk('PUT', `/projects/${projectId}/seats/${heldSeat!.id}/legal-hold`, {
      hold: true,
      reason: 'complaint 4411',
    });

    const oldShot = await db.database.db
      .select()
      .from(screenshots)
      .where(eq(screenshots.sha256, sha256Hex(oldImage)));
    // Someone looked at the old screenshot: its thumbnail was made then, and goes with it.
    const viewed = await fetch(`${server.url}/api/v1/screenshots/${oldShot[0]!.id}/thumbnail`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(viewed.status).toBe(200);
    const oldThumb = sha256Hex(new Uint8Array(await viewed.arrayBuffer()));
    expect(await server.blobs.has(oldThumb)).toBe(true);
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
    expect(await server.blobs.has(oldThumb)).toBe(false);
    expect(await server.blobs.has(sha256Hex(sharedImage))).toBe(true);
    expect(await server.blobs.has(sha256Hex(newImage))).toBe(true);

    const deleted = { events: 8, activity_spans: 2, device_events: 2, screenshots: 2 };
    const [run] = await auditEntries({ action: 'retention.run' });
    expect(run).toMatchObject({ actor: 'system', outcome: 'success', projectId: null });
    expect(run!.details).toMatchObject({
      rows: deleted,
      blobs: 2,
      projects: { [projectId]: { retentionDays: 60, rows: deleted, blobs: 2 } },
    });
    const [inProject] = await auditEntries({ action: 'retention.delete', projectIds: [projectId] });
    expect(inProject).toMatchObject({ actor: 'system', outcome: 'success', projectId });
    expect(inProject!.details).toMatchObject({ retentionDays: 60, rows: deleted, blobs: 2 });
    expect(Date.parse(inProject!.details.before as string)).toBeLessThan(now - 59 * DAY);

    expect(await server.app.seatwatch.runRetention()).toMatchObject({
      rows: { events: 0, activity_spans: 0, device_events: 0, screenshots: 0 },
      blobs: 0,
    });
    // A run that deleted nothing is recorded too; no project entry says it lost anything.
    const runs = await auditEntries({ action: 'retention.run' });
    expect(runs.length).toBe(2);
    expect(runs[0]!.details).toMatchObject({ rows: { events: 0 }, projects: {} });
    expect((await auditEntries({ action: 'retention.delete', projectIds: [projectId] })).length).toBe(1);
  });

  it('records a run that fails part way with what it had deleted by then, and outcome failed', async () => {
    const { projectId } = await createTestProject(server, { retentionDays: 60 });
    const agent = await enrollTestAgent(server, { projectId, hostname: 'failing-disk' });
    const client = await connectAgent(server, agent);
    const old = Date.now() - 90 * DAY;
    client.sendBatch(1, batch(old));
    client.sendBlob(2, await testJpeg(44, 30), { event: captureEvent({ time: old }) });
    await client.ack(2);
    await client.close();
    const failingBlobs: BlobStore = {
      put: (sha256, bytes) => server.blobs.put(sha256, bytes),
      get: (sha256) => server.blobs.get(sha256),
      has: (sha256) => server.blobs.has(sha256),
      delete: async () => {
        throw new Error('blob store unreachable');
      },
    };
    await expect(
      runRetention({
        database: db.database,
        blobs: failingBlobs,
        now: Date.now,
        batchSize: 100,
        logger: server.app.log,
      }),
    ).rejects.toThrow('blob store unreachable');
    const [run] = await auditEntries({ action: 'retention.run' });
    expect(run).toMatchObject({ outcome: 'failed' });
    expect(run!.details).toMatchObject({
      error: 'blob store unreachable',
      projects: { [projectId]: { rows: { events: 4, activity_spans: 1, device_events: 1, screenshots: 1 } } },
    });
    const [inProject] = await auditEntries({ action: 'retention.delete', projectIds: [projectId] });
    expect(inProject).toMatchObject({ outcome: 'failed', details: { rows: { screenshots: 1 } } });
  });

  /** Newest first. */
  const auditEntries = async (filter: { action: string; projectIds?: string[] }) =>
    (
      await auditPage(db.database.db, {
        projectIds: filter.projectIds ?? null,
        action: filter.action,
        limit: 50,
      })
    ).entries;
});
