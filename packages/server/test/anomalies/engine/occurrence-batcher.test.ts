/**
 * The occurrence batcher: what many agents raise at once is written in one
 * statement, what arrives while a write is in flight goes together in the
 * next, and one bad occurrence does not take the others down. The server's
 * own recorder writes to a real database; the batcher's only seam is a
 * count of the recorder's recordMany calls.
 */

import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Occurrence } from '../../../src/anomalies/engine/anomaly-recorder.js';
import { createOccurrenceBatcher } from '../../../src/anomalies/engine/occurrence-batcher.js';
import { anomalies, anomalyAlertDeliveries } from '../../../src/db/schema/index.js';
import type { AnomalyContext } from '../../../src/ingest/anomaly-port.js';
import { type AnomalyWorld, createAnomalyWorld, type Seat } from '../support/anomaly-world.js';

describe.each(DB_KINDS)('occurrence batcher on %s', (kind) => {
  let db: TestDatabase;
  let world: AnomalyWorld;
  let seats: Seat[];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    world = await createAnomalyWorld(db);
    const first = await world.seat();
    seats = [first];
    for (let i = 1; i < 12; i++) seats.push(await world.seat({ projectId: first.projectId }));
  });
  afterAll(async () => {
    await world?.close();
    await db?.close();
  });

  const contextOf = (seat: Seat): AnomalyContext => ({
    projectId: seat.projectId,
    siteId: null,
    teamId: seat.teamId,
    seatId: null,
    agentId: seat.agent.agentId,
    operator: 'operator-1',
  });
  const usb = (seat: Seat, key: string, count = 1, at = world.clock.now()): Occurrence => ({
    context: contextOf(seat),
    candidate: { rule: 'usb_storage', key, at, evidence: [] },
    count,
  });

  function countingBatcher() {
    const recorder = world.server.app.anomalies.recorder;
    const statements: number[] = [];
    const batcher = createOccurrenceBatcher({
      db: world.server.db.database.db,
      recorder: {
        recordMany(ex, occurrences) {
          statements.push(occurrences.length);
          return recorder.recordMany(ex, occurrences);
        },
      },
      maxPerStatement: 5,
    });
    return { batcher, statements };
  }

  const rowsOf = (agentId: string, key: string) =>
    world.server.db.database.db
      .select()
      .from(anomalies)
      .where(and(eq(anomalies.agentId, agentId), eq(anomalies.key, key)));

  it('writes what many agents raise in one turn together, as few statements as the cap allows', async () => {
    const { batcher, statements } = countingBatcher();
    const answers = await Promise.all(seats.map((seat) => batcher.record([usb(seat, 'burst')])));
    // 12 callers of one occurrence each, at most 5 per statement.
    expect(statements).toEqual([5, 5, 2]);
    for (const [i, seat] of seats.entries()) {
      const [raised] = answers[i]!;
      expect(raised).toMatchObject({
        agentId: seat.agent.agentId,
        rule: 'usb_storage',
        opened: true,
        count: 1,
      });
      const rows = await rowsOf(seat.agent.agentId, 'burst');
      expect(rows.map((r) => [r.id, r.count, r.status])).toEqual([[raised!.id, 1, 'open']]);
    }
  });

  it('what arrives while a write is in flight waits for it, then goes in one statement', async () => {
    const { batcher, statements } = countingBatcher();
    const first = batcher.record([usb(seats[0]!, 'in-flight')]);
    // The write starts at the end of the turn; these come after it started.
    await new Promise((resolve) => setImmediate(resolve));
    expect(statements).toEqual([1]);
    const later = [
      batcher.record([usb(seats[1]!, 'in-flight')]),
      batcher.record([usb(seats[2]!, 'in-flight')]),
    ];
    await Promise.all([first, ...later]);
    expect(statements).toEqual([1, 2]);
  });

  it('folds occurrences of one open anomaly into one row update, and queues its alert once', async () => {
    const [seat] = seats;
    await world.apiOk('POST', `/projects/${seat!.projectId}/webhooks`, {
      url: 'http://127.0.0.1:9/hook',
      description: 'SOC',
      enabled: true,
      minSeverity: 'low',
      rules: [],
      events: ['anomaly.opened'],
    });
    const { batcher, statements } = countingBatcher();
    const t = world.clock.now();
    const [a, b] = await Promise.all([
      batcher.record([usb(seat!, 'folded', 3, t + 5000)]),
      batcher.record([usb(seat!, 'folded', 4, t), usb(seat!, 'other')]),
    ]);
    expect(statements).toEqual([3]);
    expect(a![0]!.id).toBe(b![0]!.id);
    expect(a![0]).toMatchObject({ opened: true, count: 7 });
    expect(b![1]).toMatchObject({ opened: true, count: 1 });
    const [row] = await rowsOf(seat!.agent.agentId, 'folded');
    expect(row!.count).toBe(7);
    // The row spans both: first from the earlier occurrence, last from the later one.
    expect([row!.firstAt.getTime(), row!.lastAt.getTime()]).toEqual([t, t + 5000]);
    const alerts = await world.server.db.database.db
      .select()
      .from(anomalyAlertDeliveries)
      .where(eq(anomalyAlertDeliveries.anomalyId, row!.id));
    expect(alerts.map((d) => d.event)).toEqual(['anomaly.opened']);

    // A later occurrence adds to the open row and opens nothing.
    const [again] = await batcher.record([usb(seat!, 'folded')]);
    expect(again).toMatchObject({ id: row!.id, opened: false, count: 8 });
  });

  it('answers null for a rule the project turned off, and writes nothing for it', async () => {
    const seat = await world.seat();
    await world.apiOk('PUT', `/projects/${seat.projectId}/rules/usb_storage`, { enabled: false });
    const { batcher, statements } = countingBatcher();
    expect(await batcher.record([usb(seat, 'off')])).toEqual([null]);
    expect(statements).toEqual([1]);
    expect(await rowsOf(seat.agent.agentId, 'off')).toEqual([]);
  });

  it('when a combined write fails, writes each caller on its own and rejects only the bad one', async () => {
    const { batcher, statements } = countingBatcher();
    const good = seats.slice(0, 3).map((seat) => batcher.record([usb(seat, 'survives')]));
    // An agent that does not exist breaks the statement (foreign key), as any bad row would.
    const ghost = { ...seats[3]!, agent: { ...seats[3]!.agent, agentId: 'no-such-agent' } };
    const bad = batcher.record([usb(ghost, 'survives')]);
    await expect(bad).rejects.toThrow();
    const answers = await Promise.all(good);
    expect(statements).toEqual([4, 1, 1, 1, 1]);
    for (const [i, seat] of seats.slice(0, 3).entries()) {
      expect(answers[i]![0]).toMatchObject({ agentId: seat.agent.agentId, opened: true });
      expect(await rowsOf(seat.agent.agentId, 'survives')).toHaveLength(1);
    }
  });
});
