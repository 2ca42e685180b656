/**
 * What the rules engine reads about agents and seats to give the rules
 * their facts: the seat's stored state and the agent's last hellos, the OS
 * user's other connected seats, who a refused agent is, and the agents a
 * restart left behind.
 */
import { DESKTOP_SESSION_DETAIL } from '@seatwatch/shared';
import { sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/connect.js';
import type { agents, logins, seats } from '../db/schema/index.js';
import type { RawRow } from './raw-row.js';

type AgentRow = typeof agents.$inferSelect;
type SeatRow = typeof seats.$inferSelect;
type LoginRow = typeof logins.$inferSelect;

export type AgentPlace = RawRow<Pick<SeatRow, 'siteId' | 'teamId'> & Pick<AgentRow, 'osUser'>>;

export interface StoredSeat {
  readonly state: AgentRow['state'];
  readonly stateAt: Date | null;
  /** The agent's last two accepted hellos, newest first. */
  readonly hellos: readonly { id: number; ip: string; at: number; session: string | null }[];
}

/*
 * The first three reads below answer for many agents in one statement (the rules engine gathers the
 * questions of many hellos: engine/coalesced-read.ts); answer i is for key i. Keys travel as one
 * JSON parameter, as ingest's rows do.
 */

/** The seat's stored state and the agent's last two accepted hellos (this one and the one before); null: no such agent. */
export async function storedSeats(db: Db, agentIds: readonly string[]): Promise<(StoredSeat | null)[]> {
  const rows = await queryRows<
    RawRow<Pick<AgentRow, 'id' | 'state' | 'stateAt'>> & {
      logins: RawRow<Pick<LoginRow, 'id' | 'ip' | 'at' | 'session'>>[] | null;
    }
  >(
    db,
    sql`
        select a.id, a.state, a.state_at,
               (select json_agg(l) from (
                  select id, ip, at, session from logins
                  where agent_id = a.id and kind = 'hello' and allowed
                  order by at desc, id desc limit 2) l) as logins
        from agents a
        where a.id in (select jsonb_array_elements_text(${JSON.stringify(agentIds)}::jsonb))`,
  );
  const byId = new Map(
    rows.map((row): [string, StoredSeat] => [
      row.id,
      {
        state: row.state,
        stateAt: row.state_at === null ? null : new Date(row.state_at),
        hellos: (row.logins ?? []).map((l) => ({
          id: Number(l.id),
          ip: l.ip,
          at: new Date(l.at).getTime(),
          session: l.session,
        })),
      },
    ]),
  );
  return agentIds.map((id) => byId.get(id) ?? null);
}

/** Whose other seats and desktop sessions a rule asks about: the OS user, in the agent's project. */
export interface SeatsOfUserKey {
  projectId: string;
  agentId: string;
  osUser: string;
}

export type OtherSeatRow = Pick<AgentRow, 'seatId' | 'osUser' | 'state' | 'stateAt' | 'lastSeenAt'> & {
  agentId: AgentRow['id'];
};

/** Rows of `keys` as one JSON parameter, numbered, for a statement to join with and answer by number. */
const numberedKeys = (keys: readonly SeatsOfUserKey[]) =>
  sql`jsonb_to_recordset(${JSON.stringify(keys.map((key, n) => ({ n, ...key })))}::jsonb)
        as k(n int, "projectId" text, "agentId" text, "osUser" text)`;

/** Rows answered by key number, back in the order of the keys. */
function byKey<R extends { n: number | string }, T>(
  count: number,
  rows: readonly R[],
  map: (row: R) => T,
): T[][] {
  const answers = Array.from({ length: count }, (): T[] => []);
  for (const row of rows) answers[Number(row.n)]!.push(map(row));
  return answers;
}

const at = (value: string | Date | null): Date | null => (value === null ? null : new Date(value));

/** The project's other connected agents of the same OS user (compared case-insensitively, as the index is). */
export async function otherSeatsOfUsers(db: Db, keys: readonly SeatsOfUserKey[]): Promise<OtherSeatRow[][]> {
  type Row = { n: number } & RawRow<OtherSeatRow>;
  const rows = await queryRows<Row>(
    db,
    sql`select k.n, a.id as agent_id, a.seat_id, a.os_user, a.state, a.state_at, a.last_seen_at
          from ${numberedKeys(keys)}
          join agents a on a.project_id = k."projectId" and a.id <> k."agentId"
                       and a.session is not null and lower(a.os_user) = lower(k."osUser")`,
  );
  return byKey(keys.length, rows, (row: Row) => ({
    agentId: row.agent_id,
    seatId: row.seat_id,
    osUser: row.os_user,
    state: row.state,
    stateAt: at(row.state_at),
    lastSeenAt: at(row.last_seen_at),
  }));
}

export interface OtherSessionRow {
  agentId: string;
  seatId: string | null;
  osUser: string;
  startedAt: Date;
  lastSeenAt: Date | null;
}

/**
 * The project's other connected agents where the same OS user has a desktop session open (shared seats,
 * issue #14; compared case-insensitively, as the index is).
 */
export async function otherSessionsOfUsers(
  db: Db,
  keys: readonly SeatsOfUserKey[],
): Promise<OtherSessionRow[][]> {
  type Row = { n: number } & RawRow<OtherSessionRow>;
  const rows = await queryRows<Row>(
    db,
    sql`select k.n, d.agent_id, a.seat_id, d.os_user, d.started_at, a.last_seen_at
          from ${numberedKeys(keys)}
          join desktop_sessions d on d.project_id = k."projectId" and d.agent_id <> k."agentId"
                                 and lower(d.os_user) = lower(k."osUser")
          join agents a on a.id = d.agent_id and a.session is not null`,
  );
  return byKey(keys.length, rows, (row: Row) => ({
    agentId: row.agent_id,
    seatId: row.seat_id,
    osUser: row.os_user,
    startedAt: new Date(row.started_at),
    lastSeenAt: at(row.last_seen_at),
  }));
}

/** The site, team and OS user of an agent (a refused hello names only the agent). */
export async function agentPlace(db: Db, agentId: string): Promise<AgentPlace | null> {
  const [row] = await queryRows<AgentPlace>(
    db,
    sql`select s.site_id, s.team_id, a.os_user from agents a join seats s on s.id = a.seat_id
          where a.id = ${agentId}`,
  );
  return row ?? null;
}

export type LeftBehindRow = RawRow<
  Pick<AgentRow, 'id' | 'projectId' | 'seatId' | 'osUser' | 'state' | 'lastSeenAt'> &
    Pick<SeatRow, 'siteId' | 'teamId'>
>;

/**
 * Active agents last seen in [since, start) with neither an open silence
 * nor a stop event since they connected, and not held by another collector
 * process that is registered as alive: the ones a restart at `start`
 * should see come back.
 */
export function agentsLeftBehind(
  db: Db,
  window: { since: number; start: number; agentIds?: readonly string[] },
): Promise<LeftBehindRow[]> {
  const since = new Date(window.since).toISOString();
  const start = new Date(window.start).toISOString();
  // Only these agents (those a collector killed outright held, issue #15), or every one.
  const only = window.agentIds
    ? sql`and a.id in (${sql.join(
        window.agentIds.map((id) => sql`${id}`),
        sql`, `,
      )})`
    : sql``;
  return queryRows<LeftBehindRow>(
    db,
    sql`
        select a.id, a.project_id, a.seat_id, s.site_id, s.team_id, a.os_user, a.state, a.last_seen_at
        from agents a join seats s on s.id = a.seat_id
        where a.status = 'active' ${only}
          and a.last_seen_at >= ${since}::timestamptz and a.last_seen_at < ${start}::timestamptz
          -- Held by another registered process (issue #15): not left behind. A process killed outright
          -- loses its row once its beat is stale (collectors.staleAfterMs, under the restart grace by
          -- default), and its agents their session with it, so those are counted here again.
          and not (a.session is not null and exists (
            select 1 from collector_processes c where c.id = a.collector_id))
          and not exists (
            select 1 from anomalies x where x.agent_id = a.id
              and x.rule in ('agent_silent', 'agent_stopped') and x.status in ('open', 'acknowledged'))
          and not exists (
            -- By seat first: events are indexed by (seat_id, time), not by agent.
            select 1 from events e where e.seat_id = a.seat_id and e.agent_id = a.id and e.type = 'lifecycle'
              and e.body->>'phase' = 'stopping' and e.time >= coalesce(a.connected_at, a.last_seen_at)
              -- A desktop session's end on a shared seat (issue #14) is not the agent stopping.
              and coalesce(e.body->>'detail', '') <> ${DESKTOP_SESSION_DETAIL})`,
  );
}
