/**
 * Raw ceilings measured in the same run, so the result reads as a fraction
 * of what this machine can do at all: Ed25519 verifies and signs per second
 * with node:crypto on one core, the whole decode of a batch frame (envelope,
 * verify, parse, schema) per second, and event rows inserted per second into
 * a table shaped like `events` (same columns, indexes and foreign key), one
 * transaction of 1000 rows at a time, as a group commit writes them: on one
 * connection with the server's statement shape and with plain multi-row
 * VALUES, and (PostgreSQL) on two connections at once.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type BatchPayload,
  encodeTextFrame,
  openTextFrame,
  parsePayloadJson,
  signingInput,
  validatePayload,
  verifyEnvelope,
} from '@seatwatch/shared';
import { createNodeCryptoVerifier, nodeCryptoSigner } from '@seatwatch/shared/node-crypto';
import pg from 'pg';
import { generateAgentKeys } from './enrollment.js';
import { SeatWorkload, seatIdentity } from './seat-workload.js';

/** Calls `fn` repeatedly for about `ms` milliseconds; returns calls per second. */
function rate(ms: number, fn: () => void): number {
  for (let i = 0; i < 200; i++) fn(); // warm up
  const started = performance.now();
  let calls = 0;
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 50; i++) fn();
    calls += 50;
    elapsed = performance.now() - started;
  }
  return Math.round(calls / (elapsed / 1000));
}

function sampleBatchFrame(eventsPerBatch: number) {
  const keys = generateAgentKeys();
  const signer = nodeCryptoSigner(keys.secretKey);
  const workload = new SeatWorkload(7, seatIdentity(0), Date.now() - 5000);
  const payload: BatchPayload = {
    t: 'batch',
    v: 1,
    session: randomUUID(),
    seq: 42,
    time: Date.now(),
    events: workload.nextBatch(Date.now(), eventsPerBatch),
  };
  return { keys, signer, payload, frame: encodeTextFrame(payload, 'agent', signer) };
}

export interface CryptoCeilings {
  /** Bytes of the sample batch frame the rates below were measured on. */
  batchFrameBytes: number;
  ed25519VerifyPerSecond: number;
  ed25519SignPerSecond: number;
  /** openTextFrame + verify + JSON.parse + schema validation of a batch frame. */
  batchDecodePerSecond: number;
  /** The same without the signature check: what the rest of the decode costs. */
  batchDecodeWithoutVerifyPerSecond: number;
}

export function measureCryptoCeilings(eventsPerBatch: number, msEach = 2000): CryptoCeilings {
  const { keys, signer, frame } = sampleBatchFrame(eventsPerBatch);
  const verifier = createNodeCryptoVerifier();
  const envelope = openTextFrame(frame);
  const input = signingInput('agent', envelope.pBytes);
  const verifyPerSecond = rate(msEach, () => {
    if (!verifier.verify(input, envelope.signature, keys.publicKey))
      throw new Error('sample does not verify');
  });
  const signPerSecond = rate(msEach, () => signer.sign(input));
  const decode = rate(msEach, () => {
    const opened = openTextFrame(frame);
    verifyEnvelope(opened, 'agent', keys.publicKey, verifier);
    validatePayload(parsePayloadJson(opened), 'agent', 'text');
  });
  const decodeWithoutVerify = rate(msEach, () => {
    validatePayload(parsePayloadJson(openTextFrame(frame)), 'agent', 'text');
  });
  return {
    batchFrameBytes: Buffer.byteLength(frame),
    ed25519VerifyPerSecond: verifyPerSecond,
    ed25519SignPerSecond: signPerSecond,
    batchDecodePerSecond: decode,
    batchDecodeWithoutVerifyPerSecond: decodeWithoutVerify,
  };
}

// ---- database insert ceiling ---------------------------------------------------------------------

const CEILING_TABLES = `
  create table ceiling_agents (id text primary key);
  create table ceiling_events (
    id bigint generated always as identity primary key,
    project_id text not null,
    agent_id text not null references ceiling_agents(id) on delete cascade,
    seat_id text not null,
    seq bigint not null,
    idx integer not null,
    type text not null,
    time timestamptz not null,
    body jsonb not null,
    received_at timestamptz not null,
    legal_hold boolean not null default false,
    constraint ceiling_events_uq unique (agent_id, seq, idx)
  );
  create index ceiling_events_seat_time on ceiling_events (seat_id, time);
  create index ceiling_events_project_time on ceiling_events (project_id, time);`;

const ROWS_PER_COMMIT = 1000;
const CEILING_AGENTS = 500;

/** Event-shaped rows: 100 frames of 10 events from many agents, like one group commit. */
function* eventRowBatches(eventsPerBatch: number) {
  const project = randomUUID();
  const agents = Array.from({ length: CEILING_AGENTS }, (_, i) => ({
    id: randomUUID(),
    seat: randomUUID(),
    seq: 0,
    workload: new SeatWorkload(i + 1, seatIdentity(i), Date.now() - 5000),
  }));
  yield agents.map((a) => a.id);
  let next = 0;
  while (true) {
    const rows: unknown[][] = [];
    while (rows.length < ROWS_PER_COMMIT) {
      const agent = agents[next++ % agents.length]!;
      agent.seq++;
      const now = Date.now();
      agent.workload.nextBatch(now, eventsPerBatch).forEach((event, idx) => {
        rows.push([project, agent.id, agent.seat, agent.seq, idx, event.type, event.time, event, now]);
      });
    }
    yield rows;
  }
}

const COLUMNS = 'project_id, agent_id, seat_id, seq, idx, type, time, body, received_at';

/** One statement, 9 parameters a row: the plain way. */
function multiRowInsert(rows: unknown[][]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const base = values.length;
    values.push(row[0], row[1], row[2], row[3], row[4], row[5], row[6], JSON.stringify(row[7]), row[8]);
    const p = (i: number) => `$${base + i}`;
    return `(${p(1)},${p(2)},${p(3)},${p(4)},${p(5)},${p(6)},to_timestamp(${p(7)}::bigint/1000.0),${p(8)}::jsonb,to_timestamp(${p(9)}::bigint/1000.0))`;
  });
  return { text: `insert into ceiling_events (${COLUMNS}) values ${tuples.join(',')}`, values };
}

/** One JSON parameter expanded by jsonb_to_recordset: the statement shape the server's group commit uses. */
function recordsetInsert(rows: unknown[][]): { text: string; values: unknown[] } {
  const records = rows.map((row) => ({
    project_id: row[0],
    agent_id: row[1],
    seat_id: row[2],
    seq: row[3],
    idx: row[4],
    type: row[5],
    time: row[6],
    body: row[7],
    received_at: row[8],
  }));
  return {
    text: `insert into ceiling_events (${COLUMNS})
           select project_id, agent_id, seat_id, seq, idx, type, timestamptz 'epoch' + time * interval '1 millisecond',
                  body, timestamptz 'epoch' + received_at * interval '1 millisecond'
           from jsonb_to_recordset($1::jsonb) as x(project_id text, agent_id text, seat_id text, seq bigint, idx int,
                                                   type text, time bigint, body jsonb, received_at bigint)
           on conflict (agent_id, seq, idx) do nothing`,
    values: [JSON.stringify(records)],
  };
}

export interface InsertRate {
  method: string;
  connections: number;
  rowsPerSecond: number;
  commitsPerSecond: number;
}

export interface InsertCeiling {
  engine: 'postgres' | 'pglite';
  rowsPerCommit: number;
  /** The best single-connection rate: what one serial group committer could write at most. */
  rowsPerSecond: number;
  rates: InsertRate[];
}

interface Executor {
  exec(sql: string): Promise<unknown>;
  query(text: string, values: unknown[]): Promise<unknown>;
}

async function insertFor(
  executors: readonly Executor[],
  batches: Generator<unknown, unknown, unknown>,
  build: (rows: unknown[][]) => { text: string; values: unknown[] },
  ms: number,
): Promise<{ rows: number; commits: number; seconds: number }> {
  const started = performance.now();
  let rows = 0;
  let commits = 0;
  await Promise.all(
    executors.map(async (db) => {
      while (performance.now() - started < ms) {
        const batch = batches.next().value as unknown[][];
        const { text, values } = build(batch);
        await db.exec('begin');
        await db.query(text, values);
        await db.exec('commit');
        rows += batch.length;
        commits++;
      }
    }),
  );
  return { rows, commits, seconds: (performance.now() - started) / 1000 };
}

async function measureInserts(
  engine: InsertCeiling['engine'],
  executors: readonly Executor[],
  eventsPerBatch: number,
  msEach: number,
): Promise<InsertCeiling> {
  const [db] = executors as [Executor];
  await db.exec(CEILING_TABLES);
  const batches = eventRowBatches(eventsPerBatch);
  const agentIds = batches.next().value as string[];
  await db.query('insert into ceiling_agents (id) select * from jsonb_array_elements_text($1::jsonb)', [
    JSON.stringify(agentIds),
  ]);
  const plans: Array<{ method: string; build: typeof recordsetInsert; connections: number }> = [
    { method: "jsonb_to_recordset (the server's statement shape)", build: recordsetInsert, connections: 1 },
    { method: 'multi-row INSERT ... VALUES (9 parameters a row)', build: multiRowInsert, connections: 1 },
  ];
  if (executors.length > 1) {
    plans.push({
      method: 'jsonb_to_recordset',
      build: recordsetInsert,
      connections: executors.length,
    });
  }
  const rates: InsertRate[] = [];
  for (const plan of plans) {
    const { rows, commits, seconds } = await insertFor(
      executors.slice(0, plan.connections),
      batches,
      plan.build,
      msEach,
    );
    rates.push({
      method: plan.method,
      connections: plan.connections,
      rowsPerSecond: Math.round(rows / seconds),
      commitsPerSecond: Math.round((commits / seconds) * 10) / 10,
    });
  }
  await db.exec('drop table ceiling_events; drop table ceiling_agents;');
  return {
    engine,
    rowsPerCommit: ROWS_PER_COMMIT,
    rowsPerSecond: Math.max(...rates.filter((r) => r.connections === 1).map((r) => r.rowsPerSecond)),
    rates,
  };
}

export async function measurePostgresInsertCeiling(
  url: string,
  eventsPerBatch: number,
  msEach = 3000,
): Promise<InsertCeiling> {
  // Two connections as well: one serial committer uses one backend, PostgreSQL could use both cores.
  const clients = [new pg.Client({ connectionString: url }), new pg.Client({ connectionString: url })];
  await Promise.all(clients.map((client) => client.connect()));
  try {
    return await measureInserts(
      'postgres',
      clients.map((client) => ({
        exec: (sql: string) => client.query(sql),
        query: (text: string, values: unknown[]) => client.query(text, values),
      })),
      eventsPerBatch,
      msEach,
    );
  } finally {
    await Promise.all(clients.map((client) => client.end()));
  }
}

/** PGlite in a folder (as the server runs it), in this process. */
export async function measurePgliteInsertCeiling(
  dir: string,
  eventsPerBatch: number,
  msEach = 3000,
): Promise<InsertCeiling> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(join(dir, 'ceiling'));
  try {
    return await measureInserts(
      'pglite',
      [{ exec: (sql) => db.exec(sql), query: (text, values) => db.query(text, values) }],
      eventsPerBatch,
      msEach,
    );
  } finally {
    await db.close();
  }
}
