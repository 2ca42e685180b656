/**
 * Login records of shared seats (issue #14): each desktop session's start and
 * end (domain/desktop-sessions.ts) becomes a login record of its OS account at
 * the seat, with the client IP of the connection that delivered it, and the
 * sessions open now are kept in `desktop_sessions`. Written in the
 * transaction that stores the events that told them, so a session is
 * recorded exactly when its event is.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { type DesktopSessionChange, SESSION_LOGIN_KIND } from '../domain/desktop-sessions.js';
import type { AgentSession } from './ingest-hub.js';

/** ms since the epoch -> timestamptz, exactly. */
const at = (ms: number) => sql`(timestamptz 'epoch' + ${ms}::bigint * interval '1 millisecond')`;

/** The columns of a session's login record but its account; the socket's peer address is its hello's. */
function loginValues(agent: AgentSession, kind: string, time: number, osUser: SQL): SQL {
  return sql`${at(time)}, ${kind}, ${agent.projectId}, ${agent.agentId}, ${agent.agentId}, ${agent.seatId},
    ${agent.ip},
    coalesce((select h.peer_ip from logins h where h.agent_id = ${agent.agentId} and h.session = ${agent.session}
              and h.kind = 'hello' order by h.id desc limit 1), ${agent.ip}),
    true, ${agent.session}, ${agent.hostname}, ${osUser}, ${agent.agentVersion}`;
}

const LOGIN_COLUMNS = sql.raw(
  'at, kind, project_id, agent_id, claimed_agent, seat_id, ip, peer_ip, allowed, session, hostname, os_user, agent_version',
);

/** Stores the changes of one agent's connection, in order. */
export async function recordDesktopSessions(
  ex: Executor,
  agent: AgentSession,
  changes: readonly DesktopSessionChange[],
): Promise<void> {
  for (const change of changes) {
    if (change.kind === 'start') {
      await ex.execute(sql`
        with login as (
          insert into logins (${LOGIN_COLUMNS})
          values (${loginValues(agent, SESSION_LOGIN_KIND.start, change.at, sql`${change.osUser}`)})
          returning id, at)
        insert into desktop_sessions (agent_id, project_id, seat_id, os_user, started_at, login_id)
        select ${agent.agentId}, ${agent.projectId}, ${agent.seatId}, ${change.osUser}, login.at, login.id from login
        on conflict (agent_id, os_user) do update set
          started_at = excluded.started_at, login_id = excluded.login_id, seat_id = excluded.seat_id`);
    } else if (change.kind === 'end') {
      await ex.execute(sql`
        with gone as (
          delete from desktop_sessions where agent_id = ${agent.agentId} and os_user = ${change.osUser})
        insert into logins (${LOGIN_COLUMNS})
        values (${loginValues(agent, SESSION_LOGIN_KIND.end, change.at, sql`${change.osUser}`)})`);
    } else {
      // The agent itself started or stopped: each session still open ends with it.
      await ex.execute(sql`
        with gone as (
          delete from desktop_sessions where agent_id = ${agent.agentId} returning os_user)
        insert into logins (${LOGIN_COLUMNS})
        select ${loginValues(agent, SESSION_LOGIN_KIND.end, change.at, sql`gone.os_user`)} from gone`);
    }
  }
}
