/**
 * The real collector for these tests: the server's buildApp on a fresh
 * PostgreSQL database (127.0.0.1:5432), listening on 127.0.0.1 port 0, with
 * a data folder this file owns so that a stopped collector can come back on
 * the same port with the same keys, database and blobs. Plus read-only SQL
 * views of what it stored, in the units the agent speaks (ms, seq).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY, type Notice, type Policy } from '@seatwatch/shared';
import { sha256Hex } from '@seatwatch/shared/node-crypto';
import {
  createTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';

export interface Collector {
  readonly db: TestDatabase;
  /** http://127.0.0.1:<port>, the same across restarts. */
  readonly url: string;
  /** The running server; throws while stopped. */
  readonly server: TestServer;
  readonly running: boolean;
  /** Graceful stop (drain, 1001); the database and data folder stay. */
  stop(): Promise<void>;
  /** The same collector again (port, keys, admin token, database, blobs). */
  restart(): Promise<void>;
  sql<T>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function startCollector(): Promise<Collector> {
  const dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-e2e-collector-'));
  let db: TestDatabase | null = null;
  let current: TestServer | null = null;
  try {
    db = await createTestDatabase('postgres');
    const first = await startTestServer({ database: db, dataDir });
    current = first;
    const port = Number(new URL(first.url).port);
    const database = db;
    const pool = database.database.pool!;
    return {
      db: database,
      url: first.url,
      get server() {
        if (!current) throw new Error('the collector is stopped');
        return current;
      },
      get running() {
        return current !== null;
      },
      async stop() {
        const server = current;
        current = null;
        await server?.close();
      },
      async restart() {
        if (current) throw new Error('the collector is running');
        current = await startTestServer({
          database,
          dataDir,
          identity: first.identity,
          config: { port },
        });
      },
      async sql<T>(text: string, params: unknown[] = []) {
        return (await pool.query(text, params)).rows as T[];
      },
      async close() {
        await current?.close();
        current = null;
        await database.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await current?.close();
    await db?.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export interface SeatProject {
  projectId: string;
  token: string;
  notice: Notice;
  policy: Policy;
}

/** A project with this policy and notice (set before any seat enrolls) and a one-use enrollment token. */
export async function createSeatProject(
  collector: Collector,
  options: { noticeText: string; policy: Partial<Policy> },
): Promise<SeatProject> {
  const server = collector.server;
  const project = await server.adminOk<{ id: string }>('POST', '/projects', {
    name: `e2e-${Math.random().toString(36).slice(2, 10)}`,
  });
  const set = await server.adminOk<{ policy: Policy; notice: Notice }>(
    'PUT',
    `/projects/${project.id}/policy`,
    { policy: { ...DEFAULT_POLICY, ...options.policy }, noticeText: options.noticeText, push: false },
  );
  const issued = await server.adminOk<{ token: string }>('POST', `/projects/${project.id}/tokens`, {
    maxUses: 1,
  });
  return { projectId: project.id, token: issued.token, notice: set.notice, policy: set.policy };
}

export interface StoredEvent {
  seq: number;
  idx: number;
  type: string;
  time: number;
  receivedAt: number;
  body: Record<string, unknown>;
}

export interface StoredScreenshot {
  id: number;
  seq: number;
  time: number;
  sha256: string;
  size: number;
  mime: string;
  width: number;
  height: number;
  trigger: string;
  commandId: string | null;
  thumbSha256: string | null;
  receivedAt: number;
}

export interface StoredAgent {
  ackedSeq: number;
  noticeVersion: number;
  session: string | null;
  disconnectedAt: number | null;
}

const ms = (column: string) => `round(extract(epoch from ${column}) * 1000)::float8`;

/** Every event row of the agent, in (seq, idx) order. */
export function storedEvents(collector: Collector, agentId: string): Promise<StoredEvent[]> {
  return collector.sql<StoredEvent>(
    `select seq::float8 as seq, idx, type, ${ms('time')} as time, ${ms('received_at')} as "receivedAt", body
       from events where agent_id = $1 order by seq, idx`,
    [agentId],
  );
}

export function storedScreenshots(collector: Collector, agentId: string): Promise<StoredScreenshot[]> {
  return collector.sql<StoredScreenshot>(
    `select id::float8 as id, seq::float8 as seq, ${ms('time')} as time, sha256, size, mime, width, height, trigger,
            command_id as "commandId", thumb_sha256 as "thumbSha256", ${ms('received_at')} as "receivedAt"
       from screenshots where agent_id = $1 order by seq`,
    [agentId],
  );
}

export async function storedAgent(collector: Collector, agentId: string): Promise<StoredAgent> {
  const [row] = await collector.sql<StoredAgent>(
    `select acked_seq::float8 as "ackedSeq", notice_version as "noticeVersion", session,
            ${ms('disconnected_at')} as "disconnectedAt"
       from agents where id = $1`,
    [agentId],
  );
  if (!row) throw new Error(`no agent ${agentId} in the collector's database`);
  return row;
}

/** Anomalies the gateway raises for a hole in an agent's sequence numbers. */
export function sequenceGapAnomalies(collector: Collector, agentId: string): Promise<{ rule: string }[]> {
  return collector.sql(`select rule from anomalies where agent_id = $1 and key = 'sequence_gap'`, [agentId]);
}

/** The screenshot's bytes from the blob store, after checking they hash to the name they are stored under. */
export async function screenshotBytes(collector: Collector, sha256: string): Promise<Uint8Array> {
  const bytes = await collector.server.blobs.get(sha256);
  if (!bytes) throw new Error(`no blob ${sha256} in the collector's blob store`);
  const actual = sha256Hex(bytes);
  if (actual !== sha256) throw new Error(`blob ${sha256} holds bytes hashing to ${actual}`);
  return bytes;
}

/** The set of seqs stored for the agent, and whether it is exactly 1..n. */
export function seqsOf(events: readonly StoredEvent[]): { seqs: number[]; contiguous: boolean } {
  const seqs = [...new Set(events.map((e) => e.seq))].sort((a, b) => a - b);
  return { seqs, contiguous: seqs.every((seq, i) => seq === i + 1) };
}
