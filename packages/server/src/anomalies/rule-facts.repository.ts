/**
 * What the rules engine reads about agents and seats to give the rules
 * their facts: the seat's stored state and the agent's last hellos, the OS
 * user's other connected seats, who a refused agent is, and the agents a
 * restart left behind.
 */
import { DESKTOP_SESSION_DETAIL } from '@seatwatch/shared';
import { and, eq, isNotNull, ne, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../db/connect.js';
import { agents, desktopSessions, type logins, type seats } from '../db/schema/index.js';
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

/** The seat's stored state and the agent's last two accepted hellos (this one and the one before), in one query. */
export async function storedSeat(db: Db, agentId: string): Promise<StoredSeat | null> {
  const [row] = await queryRows<
    RawRow<Pick<AgentRow, 'state' | 'stateAt'>> & {
      logins: RawRow<Pick<LoginRow, 'id' | 'ip' | 'at' | 'session'>>[] | null;
    }
  >(
    db,
    sql`
        select a.state, a.state_at,
               (select json_agg(l) from (
                  select id, ip, at, session from logins
                  where agent_id = a.id and kind = 'hello' and allowed
                  order by at desc, id desc limit 2) l) as logins
        from agents a where a.id = ${agentId}`,
  );
  if (!row) return null;
  return {
    state: row.state,
    stateAt: row.state_at === null ? null : new Date(row.state_at),
    hellos: (row.logins ?? []).map((l) => ({
      id: Number(l.id),
      ip: l.ip,
      at: new Date(l.at).getTime(),
      session: l.session,
    })),
  };
}

export type OtherSeatRow = Pick<AgentRow, 'seatId' | 'osUser' | 'state' | 'stateAt' | 'lastSeenAt'> & {
  agentId: AgentRow['id'];
};

/** The project's other connected agents of the same OS user (compared case-insensitively, as the index is). */
export function otherSeatsOfUser(
  db: Db,
  of: { projectId: string; agentId: string; osUser: string },
): Promise<OtherSeatRow[]> {
  return db
    .select({
      agentId: agents.id,
      seatId: agents.seatId,
      osUser: agents.osUser,
      state: agents.state,
      stateAt: agents.stateAt,
      lastSeenAt: agents.lastSeenAt,
    })
    .from(agents)
    .where(
      and(
        eq(agents.projectId, of.projectId),
        ne(agents.id, of.agentId),
        isNotNull(agents.session),
        sql`lower(${agents.osUser}) = lower(${of.osUser})`,
      ),
    );
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
export function otherSessionsOfUser(
  db: Db,
  of: { projectId: string; agentId: string; osUser: string },
): Promise<OtherSessionRow[]> {
  return db
    .select({
      agentId: desktopSessions.agentId,
      seatId: agents.seatId,
      osUser: desktopSessions.osUser,
      startedAt: desktopSessions.startedAt,
      lastSeenAt: agents.lastSeenAt,
    })
    .from(desktopSessions)
    .innerJoin(agents, eq(agents.id, desktopSessions.agentId))
    .where(
      and(
        eq(desktopSessions.projectId, of.projectId),
        ne(desktopSessions.agentId, of.agentId),
        isNotNull(agents.session),
        sql`lower(${desktopSessions.osUser}) = lower(${of.osUser})`,
      ),
    );
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
