/**
 * The OS account of stored rows (issue #14), on each database: a `network`
 * event names the account of every event after it in the agent's sequence,
 * across batches and blobs; before any, the hello's; and a new connection
 * goes on with the account of the agent's latest stored event. The seat
 * page and the investigation timeline show it.
 */
import type { Event } from '@seatwatch/shared';
import type { SeatDetail, Timeline } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import {
  connectAgent,
  createTestDatabase,
  DB_KINDS,
  enrollTestAgent,
  startTestServer,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '@seatwatch/testkit/server';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activitySpans, agents, deviceEvents, events, screenshots } from '../../src/db/schema/index.js';

const network = (time: number, osUser: string): Event => ({
  type: 'network',
  time,
  hostname: 'shared-seat',
  osUser,
  localIps: ['10.0.0.7'],
  gateway: null,
});
const activity = (time: number, title: string): Event => ({
  type: 'activity',
  time,
  end: time + 500,
  app: 'crm',
  title,
});

describe.each(DB_KINDS)('the OS account of stored rows on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  it('follows the network events of the sequence, across frames, blobs and connections', async () => {
    const agent = await enrollTestAgent(server);
    const t = Date.now();
    const first = await connectAgent(server, agent);
    first.sendBatch(1, [
      { type: 'lifecycle', time: t, phase: 'starting', reason: 'start', detail: '', agentVersion: '1' },
      network(t + 1, 'ada'),
      activity(t + 2, 'A'),
      {
        type: 'device_attached',
        time: t + 3,
        device: {
          id: 'usb:1-1',
          vendorId: null,
          productId: null,
          name: 'stick',
          manufacturer: null,
          serial: null,
          deviceClass: null,
          massStorage: true,
        },
      },
    ]);
    // Bob's session starts a span in the same millisecond as Ada's: two spans, one each.
    first.sendBatch(2, [
      network(t + 10, 'bob'),
      activity(t + 11, 'B'),
      activity(t + 2, 'B at the same time'),
    ]);
    first.sendBlob(3, await testJpeg());
    await first.ack(3);
    await first.close();

    const second = await connectAgent(server, agent);
    second.sendBatch(4, [activity(t + 20, 'C')]);
    await second.ack(4);
    await second.close();

    const q = db.database.db;
    const stored = await q
      .select({ seq: events.seq, type: events.type, osUser: events.osUser })
      .from(events)
      .where(eq(events.agentId, agent.agentId))
      .orderBy(asc(events.seq), asc(events.idx));
    expect(stored.map((r) => [r.seq, r.type, r.osUser])).toEqual([
      // The hello's account (the scripted agent says operator1) until the first network event.
      [1, 'lifecycle', 'operator1'],
      [1, 'network', 'ada'],
      [1, 'activity', 'ada'],
      [1, 'device_attached', 'ada'],
      [2, 'network', 'bob'],
      [2, 'activity', 'bob'],
      [2, 'activity', 'bob'],
      [3, 'capture', 'bob'],
      // A new connection goes on with the latest stored account, not the hello's.
      [4, 'activity', 'bob'],
    ]);
    const spans = await q
      .select({ title: activitySpans.title, osUser: activitySpans.osUser })
      .from(activitySpans)
      .where(eq(activitySpans.agentId, agent.agentId))
      .orderBy(asc(activitySpans.startedAt), asc(activitySpans.id));
    expect(spans).toEqual([
      { title: 'A', osUser: 'ada' },
      { title: 'B at the same time', osUser: 'bob' },
      { title: 'B', osUser: 'bob' },
      { title: 'C', osUser: 'bob' },
    ]);
    const devices = await q
      .select({ osUser: deviceEvents.osUser })
      .from(deviceEvents)
      .where(eq(deviceEvents.agentId, agent.agentId));
    expect(devices).toEqual([{ osUser: 'ada' }]);
    const shots = await q
      .select({ osUser: screenshots.osUser })
      .from(screenshots)
      .where(eq(screenshots.agentId, agent.agentId));
    expect(shots).toEqual([{ osUser: 'bob' }]);
  });

  it('shows the account on the seat page and in the timeline', async () => {
    const agent = await enrollTestAgent(server);
    const t = Date.now();
    const client = await connectAgent(server, agent);
    client.sendBatch(1, [
      network(t, 'ada'),
      activity(t + 1, 'A'),
      network(t + 5, 'bob'),
      activity(t + 6, 'B'),
    ]);
    client.sendBlob(2, await testJpeg());
    await client.ack(2);
    await client.close();
    const [row] = await db.database.db
      .select({ seatId: agents.seatId })
      .from(agents)
      .where(eq(agents.id, agent.agentId));
    const seatId = row!.seatId;
    const investigator = await createSignedInUser(server, `inv-${agent.agentId.slice(-6)}`, [
      { role: 'investigator', projectId: agent.projectId, teamId: null },
    ]);
    const from = t - 60_000;
    const to = t + 600_000;

    const seat = await asUser<SeatDetail>(
      server,
      investigator,
      'GET',
      `/api/v1/seats/${seatId}?from=${from}&to=${to}`,
    );
    expect(seat.status).toBe(200);
    expect(seat.body.spans.map((span) => [span.title, span.osUser])).toEqual([
      ['A', 'ada'],
      ['B', 'bob'],
    ]);
    expect(seat.body.screenshots.map((shot) => shot.osUser)).toEqual(['bob']);

    const timeline = await asUser<Timeline>(server, investigator, 'POST', '/api/v1/investigation/timeline', {
      seatIds: [seatId],
      from,
      to,
      reason: 'shift handover check',
    });
    expect(timeline.status).toBe(200);
    expect(timeline.body.spans?.items.map((span) => [span.title, span.osUser])).toEqual([
      ['A', 'ada'],
      ['B', 'bob'],
    ]);
    expect(timeline.body.screenshots?.items.map((shot) => shot.osUser)).toEqual(['bob']);
  });
});
