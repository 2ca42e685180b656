/**
 * The group commit's one statement (ingest/ingest.repository.ts, issue #15),
 * on PGlite and on PostgreSQL, called directly with rows of several agents:
 * what it stores, byte for byte (strings that need quoting in an array
 * literal, a null account); the ids it returns and none on a resend; the
 * span merge; the agents it moves forward (exactly those named, never back);
 * no row for an agent whose row is gone (the telemetry tables have no
 * foreign key to agents since 0022). On PostgreSQL, the statement is a named
 * one that runs on its generic plan, whose agents update is a nested loop
 * over the primary key with and without statistics on agents.
 */
import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/connect.js';
import type { AgentProgress, EventRow, SpanRow } from '../../src/domain/ingest-mapping.js';
import { type IngestRows, storeIngestRows } from '../../src/ingest/ingest.repository.js';

const T0 = Date.UTC(2026, 11, 7, 9, 0, 0);
/** Quotes, a backslash, braces, a comma, NULL spelled out and non-ASCII: each must survive an array literal. */
const AWKWARD = 'He said "hi" \\ {a,b} NULL – café 👋';

const nothing: IngestRows = {
  events: [],
  spans: [],
  devices: [],
  screenshots: [],
  commandResults: [],
  progress: [],
  signedFrames: [],
};

const owner = (agent: string) => ({ projectId: 'p1', agentId: agent, seatId: `s-${agent}` });

function activity(agent: string, seq: number, idx: number, title: string, osUser: string | null): EventRow {
  const time = T0 + seq * 5000 + idx;
  return {
    ...owner(agent),
    osUser,
    seq,
    idx,
    type: 'activity',
    time,
    body: { type: 'activity', time, end: time + 1000, app: 'crm.exe', title },
    receivedAt: T0 + seq * 5000 + 100,
  };
}

function span(agent: string, seq: number, end: number, title: string): SpanRow {
  return { ...owner(agent), osUser: 'op', startedAt: T0, endedAt: end, app: 'crm.exe', title, seq };
}

function progress(agent: string, seq: number, extra: Partial<AgentProgress> = {}): AgentProgress {
  return {
    agentId: agent,
    seq,
    seenAt: T0 + seq * 5000,
    state: null,
    noticeAcked: null,
    osUser: null,
    ...extra,
  };
}

describe.each(DB_KINDS)('the ingest statement on %s', (kind) => {
  let db: TestDatabase;
  const query = <T>(text: ReturnType<typeof sql>) => queryRows<T>(db.database.db, text);
  const agentRow = async (id: string) =>
    (
      await query<{
        acked_seq: string | number;
        seen: number | null;
        state: string | null;
        notice_version: number;
        latest_os_user: string | null;
      }>(
        sql`select acked_seq::int as acked_seq, (extract(epoch from last_seen_at) * 1000)::float8 as seen, state,
                   notice_version, latest_os_user
            from agents where id = ${id}`,
      )
    )[0];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    await db.database.db.execute(sql`insert into projects (id, name) values ('p1', 'floor')`);
    for (const agent of ['a1', 'a2', 'a3', 'gone']) {
      await db.database.db.execute(sql`
        insert into seats (id, project_id, name) values (${`s-${agent}`}, 'p1', ${agent})`);
      await db.database.db.execute(sql`
        insert into agents (id, project_id, seat_id, public_key, hostname, os, os_user, agent_version, enrolled_ip)
        values (${agent}, 'p1', ${`s-${agent}`}, ${`key-${agent}`}, ${agent}, 'linux', 'op', '1.0.0', '127.0.0.1')`);
    }
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('stores a group of several agents as given, returns the new ids, and none on a resend', async () => {
    const group: IngestRows = {
      ...nothing,
      events: [
        activity('a1', 1, 0, AWKWARD, 'op'),
        activity('a1', 1, 1, 'plain', null),
        activity('a2', 1, 0, 'other seat', 'op2'),
      ],
      devices: [
        {
          ...owner('a2'),
          osUser: 'op2',
          seq: 1,
          idx: 1,
          time: T0 + 7,
          action: 'attached',
          deviceId: 'usb-1',
          vendorId: null,
          productId: '"5678"',
          name: AWKWARD,
          manufacturer: null,
          serial: null,
          deviceClass: 'storage',
          massStorage: true,
        },
      ],
      screenshots: [
        {
          ...owner('a1'),
          osUser: 'op',
          seq: 2,
          time: T0 + 9,
          sha256: 'a'.repeat(64),
          size: 50_000,
          mime: 'image/jpeg',
          width: 1280,
          height: 720,
          monitor: 0,
          trigger: 'schedule',
          commandId: null,
          receivedAt: T0 + 10,
        },
      ],
      signedFrames: [
        { ...owner('a2'), seq: 1, kind: 'batch', envelope: `{"payload":"${AWKWARD}"}`, receivedAt: T0 },
      ],
      progress: [progress('a2', 1), progress('a1', 2)],
    };
    const first = await storeIngestRows(db.database.db, group);
    expect([...first.events.keys()].sort()).toEqual(['a1/1/0', 'a1/1/1', 'a2/1/0']);
    expect([...first.events.values()].every(Number.isInteger)).toBe(true);
    expect([...first.screenshots.keys()]).toEqual(['a1/2']);

    const stored = await query<{ id: string; body: unknown; os_user: string | null; ms: number }>(
      sql`select id, body, os_user, (extract(epoch from time) * 1000)::float8 as ms
          from events where agent_id = 'a1' order by idx`,
    );
    expect(stored.map((row) => Number(row.id))).toEqual([
      first.events.get('a1/1/0'),
      first.events.get('a1/1/1'),
    ]);
    const bodyOf = (body: unknown) => (typeof body === 'string' ? JSON.parse(body) : body);
    expect(stored.map((row) => bodyOf(row.body))).toEqual([group.events[0]!.body, group.events[1]!.body]);
    expect(stored.map((row) => row.os_user)).toEqual(['op', null]);
    expect(stored.map((row) => row.ms)).toEqual([T0 + 5000, T0 + 5001]);
    expect(
      await query(
        sql`select name, vendor_id, product_id, mass_storage from device_events where agent_id = 'a2'`,
      ),
    ).toEqual([{ name: AWKWARD, vendor_id: null, product_id: '"5678"', mass_storage: true }]);
    expect(await query(sql`select envelope from signed_frames where agent_id = 'a2'`)).toEqual([
      { envelope: `{"payload":"${AWKWARD}"}` },
    ]);

    const again = await storeIngestRows(db.database.db, group);
    expect(again.events.size).toBe(0);
    expect(again.screenshots.size).toBe(0);
    for (const [table, n] of [
      ['events', 3],
      ['device_events', 1],
      ['screenshots', 1],
      ['signed_frames', 1],
    ] as const) {
      const [count] = await query<{ n: number }>(sql.raw(`select count(*)::int as n from ${table}`));
      expect({ table, n: count!.n }).toEqual({ table, n });
    }
  });

  it('moves exactly the named agents forward, and never back', async () => {
    const untouched = await agentRow('a3');
    await storeIngestRows(db.database.db, {
      ...nothing,
      progress: [
        progress('a1', 9, { state: { state: 'idle', at: T0 + 50_000 }, noticeAcked: 2, osUser: 'clara' }),
      ],
    });
    await storeIngestRows(db.database.db, {
      ...nothing,
      progress: [progress('a1', 4, { state: { state: 'active', at: T0 + 40_000 }, osUser: 'root' })],
    });
    expect(await agentRow('a1')).toEqual({
      acked_seq: 9,
      seen: T0 + 9 * 5000,
      state: 'idle',
      notice_version: 2,
      // The account the next connection's frames start with: the highest frame's, not an older one's.
      latest_os_user: 'clara',
    });
    expect(await agentRow('a3')).toEqual(untouched);
  });

  it('merges a span: its end only moves forward, its title is the latest frame’s', async () => {
    const spanOf = async () =>
      await query<{ end: number; title: string; seq: number }>(
        sql`select (extract(epoch from ended_at) * 1000)::float8 as end, title, seq::int as seq
              from activity_spans where agent_id = 'a3'`,
      );
    const write = (row: SpanRow) =>
      storeIngestRows(db.database.db, { ...nothing, spans: [row], progress: [progress('a3', row.seq)] });
    await write(span('a3', 1, T0 + 10_000, 'first'));
    await write(span('a3', 2, T0 + 5_000, 'second'));
    expect(await spanOf()).toEqual([{ end: T0 + 10_000, title: 'second', seq: 2 }]);
    await write(span('a3', 1, T0 + 20_000, AWKWARD));
    expect(await spanOf()).toEqual([{ end: T0 + 20_000, title: 'second', seq: 2 }]);
  });

  it('stores no row for an agent whose row is gone, and the rest of its group', async () => {
    await db.database.db.execute(sql`delete from agents where id = 'gone'`);
    const stored = await storeIngestRows(db.database.db, {
      ...nothing,
      events: [activity('gone', 1, 0, 'late', 'op'), activity('a3', 7, 0, 'kept', 'op')],
      spans: [span('gone', 1, T0 + 1000, 'late')],
      progress: [progress('gone', 1), progress('a3', 7)],
    });
    expect([...stored.events.keys()]).toEqual(['a3/7/0']);
    for (const table of ['events', 'activity_spans']) {
      const [count] = await query<{ n: number }>(
        sql.raw(`select count(*)::int as n from ${table} where agent_id = 'gone'`),
      );
      expect({ table, n: count!.n }).toEqual({ table, n: 0 });
    }
  });
});

describe('the ingest statement on PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    await db.database.db.execute(sql`insert into projects (id, name) values ('p1', 'floor')`);
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('runs as a named statement whose agents update uses the primary key, with and without statistics', async () => {
    // Enough agents that a sequential scan would be a real choice; this table was never analyzed.
    await db.database.db.execute(sql`
      insert into seats (id, project_id, name) select 'seat-' || i, 'p1', 'seat ' || i from generate_series(1, 3000) i`);
    await db.database.db.execute(sql`
      insert into agents (id, project_id, seat_id, public_key, hostname, os, os_user, agent_version, enrolled_ip)
      select 'agent-' || i, 'p1', 'seat-' || i, 'key-' || i, 'h', 'linux', 'op', '1.0.0', '127.0.0.1'
      from generate_series(1, 3000) i`);
    // One connection, so that the statement prepared by the writes is the one explained.
    const single = await openDatabase({ databaseUrl: db.url!, poolSize: 1 });
    try {
      const agents = Array.from({ length: 250 }, (_, i) => `agent-${i * 7 + 1}`);
      for (let round = 1; round <= 7; round++) {
        await storeIngestRows(single.db, { ...nothing, progress: agents.map((id) => progress(id, round)) });
      }
      const updated = await queryRows<{ n: number }>(
        db.database.db,
        sql`select count(*)::int as n from agents where acked_seq = 7 and id like 'agent-%'`,
      );
      expect(updated[0]!.n).toBe(250);
      const pool = single.pool!;
      const [prepared] = (
        await pool.query<{ generic_plans: string; n: number }>(
          `select generic_plans, cardinality(parameter_types) as n from pg_prepared_statements
           where name = 'seatwatch_ingest_rows'`,
        )
      ).rows;
      // PostgreSQL plans a statement's first five runs for their values, then keeps its generic plan.
      expect(Number(prepared!.generic_plans)).toBeGreaterThan(0);
      const explainAgentsUpdate = async () => {
        const args = Array.from({ length: prepared!.n }, () => `'{}'`).join(', ');
        const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
          `explain execute seatwatch_ingest_rows(${args})`,
        );
        const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
        return plan.slice(plan.indexOf('Update on agents'), plan.indexOf('CTE stored_events'));
      };
      for (const statistics of ['none', 'analyzed']) {
        if (statistics === 'analyzed') await pool.query('analyze agents');
        const plan = await explainAgentsUpdate();
        expect({ statistics, index: plan.includes('Index Scan using agents_pkey on agents a') }).toEqual({
          statistics,
          index: true,
        });
        expect(plan).not.toMatch(/Seq Scan on agents/);
      }
    } finally {
      await single.close();
    }
  }, 120_000);
});
