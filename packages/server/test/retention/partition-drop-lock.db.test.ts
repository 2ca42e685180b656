/**
 * Dropping a day's partition does not stop the floor's writes while it reads
 * the day (issue #15, migration 0024): it locks that day's partition alone
 * for the read, and the parent table only for the drop itself. Before, the
 * whole parent was locked against writes from the start, so every ingest
 * commit waited behind a scan of a day of the floor.
 *
 * The read is held open by a writer of the old day that has not committed:
 * the drop must wait for it (the rows it counts and keeps are the rows that
 * go), while an agent's frames of today are acknowledged. PostgreSQL only:
 * the writer is a second connection, which PGlite (one connection) cannot have.
 */

import { until } from '@seatwatch/testkit';
import {
  createTestDatabase,
  enrollTestAgent,
  sampleEvents,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../src/db/connect.js';
import { startOfUtcDay, utcDay } from '../../src/partitions/partition-maintenance.js';
import { createPartitions, dropPartition } from '../../src/partitions/partitions.repository.js';

const DAY = 86_400_000;

describe('dropping a day on postgres while the floor writes', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    server = await startTestServer({ database: db, config: { retention: { intervalMs: 0 } } });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  /** An old day's events partition, made for the test. */
  async function oldEventsDay(daysAgo: number) {
    const start = startOfUtcDay(Date.now() - daysAgo * DAY);
    await createPartitions(db.database.db, utcDay(start), utcDay(start));
    return { start, partition: `events_p${utcDay(start).replaceAll('-', '')}` };
  }

  /** Starts dropping the day, and says whether the drop has settled and whether it waits for `holder`. */
  async function startDrop(day: { start: number; partition: string }, holder: pg.Client) {
    const [{ pid }] = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows as [
      { pid: number },
    ];
    const drop = {
      settled: false,
      result: dropPartition(db.database.db, day.partition, new Date(day.start + DAY)).finally(() => {
        drop.settled = true;
      }),
      async waits() {
        const { rows } = await holder.query(
          'select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
          [pid],
        );
        return rows.length > 0;
      },
    };
    return drop;
  }

  it("acknowledges today's frames while the drop waits for a writer of the old day, then drops the day with that writer's row", async () => {
    const agent = await enrollTestAgent(server);
    const [owner] = await queryRows<{ project_id: string; seat_id: string }>(
      db.database.db,
      sql`select project_id, seat_id from agents where id = ${agent.agentId}`,
    );
    const day = await oldEventsDay(100);
    // Connected first: only the frame's ack has to fit inside the drop's wait (its lock_timeout is 5 s).
    const client = await TestAgentClient.connect(server, agent);
    await client.hello();

    const writer = new pg.Client({ connectionString: db.url! });
    await writer.connect();
    try {
      await writer.query('begin');
      await writer.query(
        `insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at)
         values ($1, $2, $3, 9000, 0, 'status', $4::timestamptz, '{"state":"active"}'::jsonb, now())`,
        [owner!.project_id, agent.agentId, owner!.seat_id, new Date(day.start + 3_600_000).toISOString()],
      );
      const drop = await startDrop(day, writer);
      await until('the drop waiting for the writer of the old day', drop.waits);

      // Today's frames, through the gateway, while the drop waits.
      client.sendBatch(1, sampleEvents(3));
      await client.ack(1);
      expect({ settled: drop.settled, waits: await drop.waits() }).toEqual({ settled: false, waits: true });
      await client.close();

      await writer.query('commit');
      expect(await drop.result).toEqual([{ projectId: owner!.project_id, deleted: 1, hashes: [] }]);
      const [left] = await queryRows<{ gone: boolean; today: number }>(
        db.database.db,
        sql`select to_regclass(${day.partition}) is null as gone,
                   (select count(*)::int from events where agent_id = ${agent.agentId} and seq = 1
                      and time >= ${new Date(startOfUtcDay(Date.now()) - DAY).toISOString()}::timestamptz) as today`,
      );
      expect(left).toEqual({ gone: true, today: 3 });
    } finally {
      await writer.query('rollback').catch(() => {});
      await writer.end();
    }
  });

  it('lets writes through while it waits for a long reader of the table, and drops the day once the reader is done', async () => {
    const agent = await enrollTestAgent(server);
    const day = await oldEventsDay(101);
    const client = await TestAgentClient.connect(server, agent);
    await client.hello();
    const reader = new pg.Client({ connectionString: db.url! });
    await reader.connect();
    try {
      // A long query of the table (a 60-day timeline, say) that the drop must wait out.
      await reader.query('begin');
      await reader.query('select count(*) from events');
      const drop = await startDrop(day, reader);
      await until('the drop waiting for the reader', drop.waits);

      // Frames sent while the drop is queued for the table wait at most for one of its tries, not for the reader.
      for (let seq = 1; seq <= 3; seq++) {
        client.sendBatch(seq, sampleEvents(2));
        await client.ack(seq);
      }
      expect(drop.settled).toBe(false);
      await client.close();

      await reader.query('commit');
      expect(await drop.result).toEqual([]);
      const [left] = await queryRows<{ gone: boolean }>(
        db.database.db,
        sql`select to_regclass(${day.partition}) is null as gone`,
      );
      expect(left).toEqual({ gone: true });
    } finally {
      await reader.query('rollback').catch(() => {});
      await reader.end();
    }
  });
});
