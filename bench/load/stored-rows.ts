/**
 * "Nothing lost, nothing twice", checked in the database after the run:
 * for every agent, the frames it had acknowledged must all be there (one
 * capture event per blob, every event of every batch), and the agent row's
 * acked_seq must be the last acknowledged seq. Read with pg, or for PGlite
 * by opening the server's data folder once the server has stopped.
 */
import { join } from 'node:path';
import pg from 'pg';
import type { AgentOutcome } from './generator-messages.js';

interface AgentRows {
  agent_id: string;
  frames: number;
  events: number;
  max_seq: number;
  acked_seq: number;
  screenshots: number;
}

const PER_AGENT = `
  select a.id as agent_id,
         coalesce(e.frames, 0)::int as frames,
         coalesce(e.events, 0)::int as events,
         coalesce(e.max_seq, 0)::bigint as max_seq,
         a.acked_seq::bigint as acked_seq,
         coalesce(s.screenshots, 0)::int as screenshots
  from agents a
  left join (select agent_id, count(distinct seq) as frames, count(*) as events, max(seq) as max_seq
             from events where project_id = $1 group by agent_id) e on e.agent_id = a.id
  left join (select agent_id, count(*) as screenshots from screenshots where project_id = $1 group by agent_id) s
         on s.agent_id = a.id
  where a.project_id = $1`;

const ANOMALIES = `select rule, count(*)::int as n from anomalies where project_id = $1 group by rule`;

export interface StoredCheck {
  agentsChecked: number;
  /** What the agents saw acknowledged: frames (seqs), events, screenshots. */
  acknowledged: { frames: number; events: number; screenshots: number };
  stored: { frames: number; events: number; screenshots: number };
  /** Agents with less stored than acknowledged: data loss. */
  agentsLosingData: number;
  /** Agents with rows beyond the last seq they sent: must never happen. */
  agentsWithForeignRows: number;
  /** Agents with frames stored whose ack had not arrived when the run ended (only if the drain timed out). */
  agentsWithUnackedStored: number;
  /** Agents whose row's acked_seq is behind the last ack they received. */
  agentsAckedSeqBehind: number;
  /** Agents the database does not know. */
  agentsMissing: number;
  anomalies: Record<string, number>;
  /** Every acknowledged frame stored exactly once, and nothing else. */
  ok: boolean;
}

export function compareStored(
  outcomes: readonly AgentOutcome[],
  rows: readonly AgentRows[],
  anomalies: Record<string, number>,
): StoredCheck {
  const byAgent = new Map(rows.map((row) => [row.agent_id, row]));
  const acknowledged = { frames: 0, events: 0, screenshots: 0 };
  const stored = { frames: 0, events: 0, screenshots: 0 };
  let losing = 0;
  let foreign = 0;
  let unacked = 0;
  let behind = 0;
  let missing = 0;
  let exact = 0;
  for (const outcome of outcomes) {
    const row = byAgent.get(outcome.agentId);
    if (!row) {
      missing++;
      continue;
    }
    const frames = Number(row.frames);
    const events = Number(row.events);
    const screenshots = Number(row.screenshots);
    acknowledged.frames += outcome.ackedSeq;
    acknowledged.events += outcome.eventsAcked;
    acknowledged.screenshots += outcome.blobsAcked;
    stored.frames += frames;
    stored.events += events;
    stored.screenshots += screenshots;
    // Seqs run 1..lastSeq without gaps and (agent, seq, idx) is unique in the schema, so counting
    // distinct seqs per agent tells both "every acked frame is there" and "nothing is there twice".
    if (frames < outcome.ackedSeq || events < outcome.eventsAcked || screenshots < outcome.blobsAcked)
      losing++;
    if (Number(row.max_seq) > outcome.lastSeq || frames > outcome.lastSeq) foreign++;
    if (frames > outcome.ackedSeq) unacked++;
    if (Number(row.acked_seq) < outcome.ackedSeq) behind++;
    if (frames === outcome.ackedSeq && events === outcome.eventsAcked && screenshots === outcome.blobsAcked)
      exact++;
  }
  return {
    agentsChecked: outcomes.length,
    acknowledged,
    stored,
    agentsLosingData: losing,
    agentsWithForeignRows: foreign,
    agentsWithUnackedStored: unacked,
    agentsAckedSeqBehind: behind,
    agentsMissing: missing,
    anomalies,
    ok: exact === outcomes.length && behind === 0 && foreign === 0,
  };
}

export async function checkStoredPostgres(
  url: string,
  projectId: string,
  outcomes: readonly AgentOutcome[],
): Promise<StoredCheck> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = (await client.query<AgentRows>(PER_AGENT, [projectId])).rows;
    const anomalies = (await client.query<{ rule: string; n: number }>(ANOMALIES, [projectId])).rows;
    return compareStored(outcomes, rows, Object.fromEntries(anomalies.map((a) => [a.rule, a.n])));
  } finally {
    await client.end();
  }
}

/** Opens the stopped server's PGlite folder (the server must have exited: PGlite is one process's). */
export async function checkStoredPglite(
  dataDir: string,
  projectId: string,
  outcomes: readonly AgentOutcome[],
): Promise<StoredCheck> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(join(dataDir, 'pglite'));
  try {
    const rows = (await db.query<AgentRows>(PER_AGENT, [projectId])).rows;
    const anomalies = (await db.query<{ rule: string; n: number }>(ANOMALIES, [projectId])).rows;
    return compareStored(outcomes, rows, Object.fromEntries(anomalies.map((a) => [a.rule, a.n])));
  } finally {
    await db.close();
  }
}
