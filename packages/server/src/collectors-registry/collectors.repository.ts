/**
 * The registry of live collector processes (table collector_processes) and
 * the one write that ends a dead process's sessions. Every time is the
 * database's clock, so processes whose clocks disagree still agree.
 */
import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { queryRows } from '../db/connect.js';
import { collectorProcesses } from '../db/schema/index.js';

export async function registerCollector(
  ex: Executor,
  process: { id: string; host: string; pid: number },
): Promise<void> {
  await ex
    .insert(collectorProcesses)
    .values({ ...process, startedAt: sql`now()`, heartbeatAt: sql`now()` })
    .onConflictDoUpdate({ target: collectorProcesses.id, set: { heartbeatAt: sql`now()` } });
}

/** Moves this process's heartbeat to now; false when its row is gone (another process took it for dead). */
export async function beat(ex: Executor, id: string): Promise<boolean> {
  const rows = await ex
    .update(collectorProcesses)
    .set({ heartbeatAt: sql`now()` })
    .where(eq(collectorProcesses.id, id))
    .returning({ id: collectorProcesses.id });
  return rows.length === 1;
}

export async function removeCollector(ex: Executor, id: string): Promise<void> {
  await ex.delete(collectorProcesses).where(eq(collectorProcesses.id, id));
}

export interface StoredBeat {
  id: string;
  /** Milliseconds since the epoch, for the staleness decision. */
  heartbeatAt: number;
  /** The stored value exactly (microseconds), so a reap can tell whether a beat came since. */
  mark: string;
}

/** Every registered process's last beat, and the database's now. */
export async function readBeats(ex: Executor): Promise<{ now: number; beats: StoredBeat[] }> {
  const rows = await queryRows<{
    id: string | null;
    heartbeat_ms: string | number | null;
    mark: string | null;
    now_ms: string | number;
  }>(
    ex,
    sql`select c.id, extract(epoch from c.heartbeat_at) * 1000 as heartbeat_ms, c.heartbeat_at::text as mark,
               extract(epoch from n.now) * 1000 as now_ms
        from (select now() as now) n left join collector_processes c on true`,
  );
  const now = Number(rows[0]!.now_ms);
  const beats = rows
    .filter((row) => row.id !== null)
    .map((row) => ({ id: row.id!, heartbeatAt: Number(row.heartbeat_ms), mark: row.mark! }));
  return { now, beats };
}

export interface ReapedAgent {
  agentId: string;
  projectId: string;
  seatId: string;
}

/**
 * One statement: removes the dead process's row, if its heartbeat is still the one found stale (a
 * beat since then means it is alive after all), and ends the sessions it opened, as a close would
 * (session cleared, disconnected at its last beat). Two processes reaping the same one at once:
 * the delete lets one through, so each agent is marked, and announced, once.
 */
export async function reapCollector(
  ex: Executor,
  dead: { id: string; mark: string },
): Promise<ReapedAgent[] | null> {
  const rows = await queryRows<{
    dead: string | null;
    id: string | null;
    project_id: string;
    seat_id: string;
  }>(
    ex,
    sql`with dead as (
          delete from collector_processes
          where id = ${dead.id} and heartbeat_at = ${dead.mark}::timestamptz
          returning id, heartbeat_at
        ), ended as (
          update agents a set session = null, disconnected_at = dead.heartbeat_at
          from dead
          where a.collector_id = dead.id and a.session is not null
          returning a.id, a.project_id, a.seat_id
        )
        select (select id from dead) as dead, ended.id, ended.project_id, ended.seat_id
        from (select 1) one left join ended on true`,
  );
  if (!rows[0]?.dead) return null;
  return rows
    .filter((row) => row.id !== null)
    .map((row) => ({ agentId: row.id!, projectId: row.project_id, seatId: row.seat_id }));
}

/**
 * Ends the sessions that name no process (collector_id null): only a version from before the registry
 * (migration 0021) opened those, and one killed outright left them open, so no process would ever end
 * them. Each is ended as a close would have, at the agent's last sign of life.
 */
export async function reapSessionsWithoutCollector(ex: Executor): Promise<ReapedAgent[]> {
  const rows = await queryRows<{ id: string; project_id: string; seat_id: string }>(
    ex,
    sql`update agents set session = null, disconnected_at = coalesce(last_seen_at, connected_at, now())
        where session is not null and collector_id is null
        returning id, project_id, seat_id`,
  );
  return rows.map((row) => ({ agentId: row.id, projectId: row.project_id, seatId: row.seat_id }));
}
