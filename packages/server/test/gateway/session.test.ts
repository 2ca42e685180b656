/**
 * A full agent session against a real server on each database: enrollment,
 * challenge, hello, welcome, batches and a blob, acks after commit, what is
 * stored, resends after reconnect, gaps, sanitising, and the observer hook.
 */
import { DEFAULT_POLICY, type Event, MAX_STRING_LENGTHS } from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  connectAgent,
  createTestDatabase,
  DB_KINDS,
  enrollTestAgent,
  sampleEvents,
  startTestServer,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activitySpans,
  agents,
  anomalies,
  deviceEvents,
  events,
  logins,
  screenshots,
} from '../../src/db/schema/index.js';
import type { CommittedFrame } from '../../src/ingest/ingest-hub.js';

describe.each(DB_KINDS)('agent session on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  const committed: CommittedFrame[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    server.app.seatwatch.ingest.subscribe({ committed: (frames) => void committed.push(...frames) });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const count = async (table: typeof events | typeof screenshots, agentId: string) => {
    const [row] = await db.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(table)
      .where(eq(table.agentId, agentId));
    return row!.n;
  };

  it('welcomes an enrolled agent, stores its frames and acks them after commit', async () => {
    const agent = await enrollTestAgent(server);
    expect(agent.enrollment.policy).toEqual(DEFAULT_POLICY);
    const client = await connectAgent(server, agent);
    expect(client.welcome).toMatchObject({ ackedSeq: 0, notice: { version: 1 } });

    client.sendBatch(1, sampleEvents(3));
    client.sendBatch(2, sampleEvents(3, Date.now() + 10_000));
    expect((await client.ack(2)).seq).toBe(2);
    expect(await count(events, agent.agentId)).toBe(6);

    const image = await testJpeg();
    client.sendBlob(3, image);
    await client.ack(3);
    const [shot] = await db.database.db
      .select()
      .from(screenshots)
      .where(eq(screenshots.agentId, agent.agentId));
    expect(shot).toMatchObject({ seq: 3, sha256: sha256Hex(image), size: image.length, mime: 'image/jpeg' });
    expect(await server.blobs.get(shot!.sha256)).toEqual(image);
    // No thumbnail at ingest: it is made when first viewed (blobs/screenshot-thumbnails.ts).
    expect(shot!.thumbSha256).toBeNull();

    const spans = await db.database.db
      .select()
      .from(activitySpans)
      .where(eq(activitySpans.agentId, agent.agentId));
    expect(spans).toHaveLength(2);
    const devices = await db.database.db
      .select()
      .from(deviceEvents)
      .where(eq(deviceEvents.agentId, agent.agentId));
    expect(devices.map((d) => d.deviceId)).toEqual(['usb-2', 'usb-2']);
    const [row] = await db.database.db.select().from(agents).where(eq(agents.id, agent.agentId));
    expect(row).toMatchObject({ ackedSeq: 3, session: client.session, lastIp: '127.0.0.1' });

    const [login] = await db.database.db
      .select()
      .from(logins)
      .where(eq(logins.agentId, agent.agentId))
      .orderBy(sql`id desc`);
    expect(login).toMatchObject({
      kind: 'hello',
      allowed: true,
      ip: '127.0.0.1',
      reason: null,
      session: client.session,
    });
    expect(Math.abs(login!.clockSkewMs!)).toBeLessThan(5000);

    await expect
      .poll(() => committed.filter((f) => f.agent.agentId === agent.agentId).map((f) => f.seq))
      .toEqual([1, 2, 3]);
    const blobFrame = committed.find((f) => f.agent.agentId === agent.agentId && f.seq === 3)!;
    expect(blobFrame.screenshot).toMatchObject({ sha256: sha256Hex(image), id: shot!.id });
    expect(blobFrame.agent).toMatchObject({
      projectId: agent.projectId,
      session: client.session,
      operator: 'operator1',
    });
    expect(client.failures).toEqual([]);
    await client.close();
  });

  it("moves the agent's notice version forward on a notice_ack, never back", async () => {
    // A first run's hello precedes the notice (it is shown from the welcome's policy), so the
    // acknowledgement itself, not only the next hello, must tell the seat page what was shown.
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    const noticeVersion = async () =>
      (await db.database.db.select().from(agents).where(eq(agents.id, agent.agentId)))[0]!.noticeVersion;
    expect(await noticeVersion()).toBe(1);
    const ack = (version: number): Event => ({
      type: 'notice_ack',
      time: Date.now(),
      noticeVersion: version,
      osUser: 'operator1',
      shownVia: ['terminal'],
    });
    client.sendBatch(1, [ack(3)]);
    expect((await client.ack(1)).seq).toBe(1);
    expect(await noticeVersion()).toBe(3);
    client.sendBatch(2, [ack(2), ...sampleEvents(1)]);
    expect((await client.ack(2)).seq).toBe(2);
    expect(await noticeVersion()).toBe(3);
    await client.close();
  });

  it('acknowledges resends after a reconnect without storing anything twice', async () => {
    const agent = await enrollTestAgent(server);
    const first = await connectAgent(server, agent);
    first.sendBatch(1, sampleEvents(2));
    first.sendBatch(2, sampleEvents(2));
    await first.ack(2);
    await first.close();

    const second = await connectAgent(server, agent);
    expect(second.welcome!.ackedSeq).toBe(2);
    // An agent that did not see the ack before the reconnect sends 2 again, then 3.
    second.sendBatch(2, sampleEvents(2));
    expect((await second.ack(2)).seq).toBe(2);
    second.sendBatch(3, sampleEvents(2));
    await second.ack(3);
    expect(await count(events, agent.agentId)).toBe(6);
    await second.close();
  });

  it('stores a frame after a sequence gap and records the gap as an anomaly', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    client.sendBatch(1, sampleEvents(1));
    client.sendBatch(5, sampleEvents(1));
    await client.ack(5);
    const rows = await db.database.db.select().from(anomalies).where(eq(anomalies.agentId, agent.agentId));
    expect(rows).toMatchObject([
      { rule: 'tamper', key: 'sequence_gap', severity: 'critical', status: 'open', count: 1 },
    ]);
    expect(rows[0]!.evidence).toMatchObject([
      { kind: 'frame', seq: 5, fromSeq: 2, toSeq: 4, announced: false },
    ]);

    const dropped: Event = {
      type: 'data_dropped',
      time: Date.now(),
      kind: 'event',
      count: 3,
      bytes: 100,
      fromSeq: 6,
      toSeq: 8,
      reason: 'outbox full',
    };
    client.sendBatch(9, [dropped]);
    await client.ack(9);
    // Announced by data_dropped: recorded apart from the unexplained gap, at the tamper rule's lower severity.
    const announced = await db.database.db
      .select()
      .from(anomalies)
      .where(eq(anomalies.key, 'sequence_gap_declared'));
    expect(announced.filter((a) => a.agentId === agent.agentId)).toMatchObject([
      { rule: 'tamper', severity: 'low', count: 1 },
    ]);
    await client.close();
  });

  it('sanitises NUL characters and oversize strings and keeps every other event of the batch', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    const now = Date.now();
    const longTitle = 'x'.repeat(MAX_STRING_LENGTHS.title + 500);
    const batch: Event[] = [
      { type: 'activity', time: now, end: now + 10, app: 'bad\u0000app', title: longTitle },
      { type: 'status', time: now + 1, state: 'idle', idleMs: 5 },
      { type: 'agent_error', time: now + 2, collector: 'window', message: `lone \ud800 surrogate\u0000` },
    ];
    client.sendBatch(1, batch);
    await client.ack(1);
    const rows = await db.database.db
      .select()
      .from(events)
      .where(eq(events.agentId, agent.agentId))
      .orderBy(events.idx);
    expect(rows.map((r) => r.type)).toEqual(['activity', 'status', 'agent_error']);
    const activity = rows[0]!.body as { app: string; title: string };
    expect(activity.app).toBe('badapp');
    expect(Array.from(activity.title)).toHaveLength(MAX_STRING_LENGTHS.title);
    expect(activity.title.endsWith('…')).toBe(true);
    expect((rows[2]!.body as { message: string }).message).toBe('lone \ufffd surrogate');
    const [span] = await db.database.db
      .select()
      .from(activitySpans)
      .where(eq(activitySpans.agentId, agent.agentId));
    expect(span!.app).toBe('badapp');
    await client.close();
  });
});
