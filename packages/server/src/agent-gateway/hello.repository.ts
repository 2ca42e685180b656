/**
 * What a hello reads and writes, in two statements (issue #15, the connect
 * storm): one read of everything the checks and the welcome need (the agent
 * and its seat, the project's allowlist, the policy of the seat's site), and
 * one write that opens the session (the allowed login record, the agent row
 * naming the session, the account the next frame starts with, and whether
 * commands are pending: the claim of pending commands, a third round trip
 * at every hello, is only sent when there are some). It had been eight
 * round trips (a lookup, the allowlist, BEGIN, three statements, COMMIT,
 * the policy); after a collector restart thousands of hellos wait for the
 * same pool as the group commits, so each round trip is paid in hello
 * latency.
 */
import { DEFAULT_POLICY, type Notice, type Policy } from '@seatwatch/shared';
import { eq, sql } from 'drizzle-orm';
import type { NewLogin } from '../access/logins.repository.js';
import { type Executor, queryRows } from '../db/connect.js';
import { agents, logins } from '../db/schema/index.js';
import type { AllowlistRange } from '../domain/allowlist.js';

/** The claimed agent, as the hello checks it. */
export interface HelloAgent {
  id: string;
  projectId: string;
  seatId: string;
  status: string;
  /** Base64 Ed25519 public key. */
  publicKey: string;
  siteId: string | null;
  teamId: string | null;
  /** The project's allowlist entries (a site's apply to that site's seats only). */
  allowlist: AllowlistRange[];
  /** The policy of the seat's site, else of its project (null only if the project has none). */
  policy: { policy: Policy; notice: Notice } | null;
}

interface HelloContextRow {
  id: string;
  project_id: string;
  seat_id: string;
  status: string;
  public_key: string;
  site_id: string | null;
  team_id: string | null;
  allowlist: Array<{ cidr: string; siteId: string | null }> | string;
  policy: { settings: Partial<Policy>; noticeText: string; noticeVersion: number } | string | null;
}

/** json columns arrive parsed from pg and PGlite; parse a string anyway rather than trust one driver. */
const parsed = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

/** Everything a hello checks and answers with, in one statement; null when there is no such agent. */
export async function readHelloContext(ex: Executor, agentId: string): Promise<HelloAgent | null> {
  const [row] = await queryRows<HelloContextRow>(
    ex,
    sql`select a.id, a.project_id, a.seat_id, a.status, a.public_key, s.site_id, s.team_id,
          (select coalesce(json_agg(json_build_object('cidr', e.cidr, 'siteId', e.site_id)), '[]'::json)
             from allowlist_entries e where e.project_id = a.project_id) as allowlist,
          (select json_build_object('settings', p.settings, 'noticeText', p.notice_text,
                                    'noticeVersion', p.notice_version)
             from policies p
            where p.project_id = a.project_id and (p.site_id is null or p.site_id = s.site_id)
            order by p.site_id nulls last limit 1) as policy
        from agents a join seats s on s.id = a.seat_id
        where a.id = ${agentId}`,
  );
  if (!row) return null;
  const policy = row.policy === null ? null : parsed(row.policy);
  return {
    id: row.id,
    projectId: row.project_id,
    seatId: row.seat_id,
    status: row.status,
    publicKey: row.public_key,
    siteId: row.site_id,
    teamId: row.team_id,
    allowlist: parsed(row.allowlist),
    policy:
      policy === null
        ? null
        : {
            policy: { ...DEFAULT_POLICY, ...policy.settings },
            notice: { version: policy.noticeVersion, text: policy.noticeText },
          },
  };
}

export interface OpenedRows {
  loginId: number;
  ackedSeq: number;
  latestOsUser: string | null;
  /**
   * Commands were pending when the statement ran. Without any (nearly every hello) the claim is not
   * sent at all; one queued after the statement announces itself (agent.command) to the connection.
   */
  commandsPending: boolean;
}

export interface SessionOpening {
  login: NewLogin;
  agentId: string;
  session: string;
  ip: string;
  at: Date;
  hostname: string;
  osUser: string;
  agentVersion: string;
  noticeVersion: number;
  /** The collector process opening the session (its registry row). */
  collectorId: string;
}

/**
 * One statement (so one implicit transaction): the allowed login record, the agent row naming the
 * session, the seq the agent's frames resume after and the OS account its latest stored frame ended
 * with (kept on the agent row by the ingest statement; null when none named one), and whether
 * commands wait for it. Both writes commit together or not
 * at all, as the transaction did.
 */
export async function openSessionRows(ex: Executor, opening: SessionOpening): Promise<OpenedRows> {
  const login = ex.insert(logins).values(opening.login).returning({ id: logins.id });
  const agent = ex
    .update(agents)
    .set({
      session: opening.session,
      connectedAt: opening.at,
      lastSeenAt: opening.at,
      lastIp: opening.ip,
      hostname: opening.hostname,
      osUser: opening.osUser,
      agentVersion: opening.agentVersion,
      noticeVersion: opening.noticeVersion,
      collectorId: opening.collectorId,
    })
    .where(eq(agents.id, opening.agentId))
    .returning({ ackedSeq: agents.ackedSeq, latestOsUser: agents.latestOsUser });
  const [row] = await queryRows<{
    login_id: string | number;
    acked_seq: string | number | null;
    os_user: string | null;
    commands_pending: boolean;
  }>(
    ex,
    sql`with stored_login as (${login.getSQL()}), opened_agent as (${agent.getSQL()})
        select (select id from stored_login) as login_id,
               (select acked_seq from opened_agent) as acked_seq,
               (select latest_os_user from opened_agent) as os_user,
               exists (select 1 from agent_commands where agent_id = ${opening.agentId}
                        and status = 'pending') as commands_pending`,
  );
  if (!row || row.acked_seq === null) throw new Error(`agent ${opening.agentId} is gone`);
  return {
    loginId: Number(row.login_id),
    ackedSeq: Number(row.acked_seq),
    latestOsUser: row.os_user,
    commandsPending: row.commands_pending,
  };
}
