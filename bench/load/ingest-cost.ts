/**
 * CPU cost of the ingest write alone, for A/B comparisons on a busy machine
 * (issue #15): the server's own group-commit statement (storeIngestRows, with
 * the frames mapped by the server's mapBatch) writes a fixed number of groups
 * of realistic frames from the seats of an existing bench database, and the
 * PostgreSQL backend's CPU time (/proc/<pid>/stat, so only the work done for
 * this connection) and this process's CPU time are divided by the frames.
 * Wall-clock time is not reported: on a shared machine it measures the
 * neighbours. Run it alternately on two copies of one database (A and B) and
 * compare medians.
 *
 *   node --conditions=seatwatch-source --import tsx bench/load/ingest-cost.ts \
 *     --db-url postgres://postgres@127.0.0.1:5432/<db> [--groups 40] [--frames 250] [--seed 1]
 *
 * The database must have enrolled agents (a `bench/load/run.sh --keep` run's).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { agentProgress, mapBatch, mergeSpans, openDatabase, storeIngestRows } from '@seatwatch/server';
import { SeatWorkload, seatIdentity } from './seat-workload.js';

const CLOCK_TICKS_PER_SECOND = 100;

function backendCpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'db-url': { type: 'string' },
      groups: { type: 'string', default: '40' },
      frames: { type: 'string', default: '250' },
      seed: { type: 'string', default: '1' },
    },
  });
  const url = values['db-url'];
  if (!url) throw new Error('--db-url is required');
  const groups = Number(values.groups);
  const framesPerGroup = Number(values.frames);
  const database = await openDatabase({ databaseUrl: url, poolSize: 1 });
  const db = database.db;
  // One connection (pool of 1): the backend measured is the one that runs every statement.
  const pool = database.pool!;
  const { rows: agents } = await pool.query<{ id: string; project_id: string; seat_id: string; seq: string }>(
    // Frames continue after everything stored so far, so each run inserts new rows.
    `select a.id, a.project_id, a.seat_id,
            greatest(a.acked_seq, coalesce((select max(seq) from events e where e.agent_id = a.id), 0)) as seq
       from agents a order by a.id`,
  );
  if (agents.length === 0) throw new Error('no agents in this database');
  const { rows: backend } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
  const pid = backend[0]!.pid;
  const start = Date.now();
  const seats = agents.map((agent, i) => ({
    agent,
    seq: Number(agent.seq),
    workload: new SeatWorkload(Number(values.seed) * 100_003 + i, seatIdentity(i), start - 60_000),
    osUser: seatIdentity(i).osUser as string | null,
  }));
  let next = 0;
  let clock = start;
  const frames = groups * framesPerGroup;
  // Every group is built before the measurement (the generator's work is not the server's).
  const built = Array.from({ length: groups }, () => {
    const rows = Array.from({ length: framesPerGroup }, () => {
      const seat = seats[next++ % seats.length]!;
      clock += 5;
      seat.seq++;
      const events = seat.workload.nextBatch(clock, 10);
      const ctx = {
        agentId: seat.agent.id,
        projectId: seat.agent.project_id,
        seatId: seat.agent.seat_id,
        siteId: null,
        teamId: null,
      };
      const mapped = mapBatch(ctx, seat.seq, events, clock, seat.osUser);
      seat.osUser = mapped.osUserAfter;
      return { agentId: seat.agent.id, seq: seat.seq, receivedAt: clock, rows: mapped };
    });
    return rows;
  });

  const pgBefore = backendCpuMs(pid);
  const nodeBefore = processCpuMs();
  for (const group of built) {
    await storeIngestRows(db, {
      events: group.flatMap((f) => f.rows.events),
      spans: mergeSpans(group.flatMap((f) => f.rows.spans)),
      devices: group.flatMap((f) => f.rows.devices),
      screenshots: [],
      commandResults: [],
      progress: agentProgress(group),
      signedFrames: [],
    });
  }
  const pgMs = backendCpuMs(pid) - pgBefore;
  const nodeMs = processCpuMs() - nodeBefore;
  await database.close();
  process.stdout.write(
    `${JSON.stringify({
      frames,
      groups,
      framesPerGroup,
      postgresMsPerFrame: Math.round((pgMs / frames) * 1000) / 1000,
      clientMsPerFrame: Math.round((nodeMs / frames) * 1000) / 1000,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
