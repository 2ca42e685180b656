/**
 * What the board and the seat page read. One query builds every tile (seat,
 * its active agent, current application, latest thumbnail, open alerts),
 * filtered in SQL by the viewer's scope, so a 1,000-seat board is one round
 * trip. The same query with a list of seat ids feeds the live stream.
 */
import type { BoardSeat, SeatDetail, Severity } from '@seatwatch/shared/dashboard-api';
import { type SQL, sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../db/connect.js';
import { scopeCondition } from '../db/scope-condition.js';
import type { Scope } from '../domain/authz-policy.js';

const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  low: 1,
  warning: 2,
  medium: 3,
  high: 4,
  critical: 5,
};
const RANKED: readonly Severity[] = ['low', 'warning', 'medium', 'high', 'critical'];

interface BoardRow {
  id: string;
  project_id: string;
  site_id: string | null;
  team_id: string | null;
  name: string;
  agent_id: string | null;
  hostname: string | null;
  os_user: string | null;
  session: string | null;
  state: 'active' | 'idle' | 'locked' | null;
  state_at: Date | string | null;
  connected_at: Date | string | null;
  disconnected_at: Date | string | null;
  last_seen_at: Date | string | null;
  app: string | null;
  shot_id: string | number | null;
  shot_time: Date | string | null;
  open_alerts: number | string | null;
  max_rank: number | string | null;
}

const ms = (value: Date | string | null): number | null =>
  value === null ? null : (value instanceof Date ? value : new Date(value)).getTime();

function toBoardSeat(row: BoardRow): BoardSeat {
  const connected = row.agent_id !== null && row.session !== null;
  const rank = row.max_rank === null ? 0 : Number(row.max_rank);
  return {
    id: row.id,
    projectId: row.project_id,
    siteId: row.site_id,
    teamId: row.team_id,
    name: row.name,
    agentId: row.agent_id,
    hostname: row.hostname,
    operator: row.os_user,
    connected,
    state: connected ? (row.state ?? 'active') : 'offline',
    stateSince: connected
      ? (ms(row.state_at) ?? ms(row.connected_at))
      : (ms(row.disconnected_at) ?? ms(row.last_seen_at)),
    app: connected ? row.app : null,
    lastSeenAt: ms(row.last_seen_at),
    openAlerts: Number(row.open_alerts ?? 0),
    alertSeverity: rank > 0 ? RANKED[rank - 1]! : null,
    screenshot: row.shot_id === null ? null : { id: String(row.shot_id), time: ms(row.shot_time)! },
  };
}

const severityRank = sql.raw(
  `case severity ${Object.entries(SEVERITY_RANK)
    .map(([name, rank]) => `when '${name}' then ${rank}`)
    .join(' ')} else 1 end`,
);

/** Tiles for the seats in scope (and, when given, only these seat ids). */
export async function boardSeats(
  ex: Executor,
  scope: Scope,
  seatIds?: readonly string[],
): Promise<BoardSeat[]> {
  const only =
    seatIds === undefined
      ? sql`true`
      : seatIds.length === 0
        ? sql`false`
        : sql`s.id in (${sql.join(
            seatIds.map((id) => sql`${id}`),
            sql`, `,
          )})`;
  const rows = await queryRows<BoardRow>(
    ex,
    sql`
      select s.id, s.project_id, s.site_id, s.team_id, s.name,
             a.id as agent_id, a.hostname, a.os_user, a.session, a.state, a.state_at, a.connected_at,
             a.disconnected_at, a.last_seen_at,
             sp.app, sh.id as shot_id, sh.time as shot_time,
             al.open_alerts, al.max_rank
      from seats s
      left join lateral (
        select * from agents where agents.seat_id = s.id and agents.status = 'active'
        order by agents.last_seen_at desc nulls last limit 1
      ) a on true
      left join lateral (
        select activity_spans.app from activity_spans where activity_spans.seat_id = s.id
        order by activity_spans.started_at desc limit 1
      ) sp on true
      left join lateral (
        select screenshots.id, screenshots.time from screenshots
        where screenshots.seat_id = s.id and screenshots.thumb_sha256 is not null
        order by screenshots.time desc limit 1
      ) sh on true
      left join lateral (
        select count(*)::int as open_alerts, max(${severityRank}) as max_rank
        from anomalies where anomalies.seat_id = s.id and anomalies.status = 'open'
      ) al on true
      where ${scopeCondition(scope, sql`s.project_id`, sql`s.team_id`)} and ${only}
      order by s.name`,
  );
  return rows.map(toBoardSeat);
}

export async function boardTenancy(ex: Executor, scope: Scope) {
  const projectRows = await queryRows<{ id: string; name: string; clear_thumbnails: boolean | null }>(
    ex,
    sql`select p.id, p.name, d.clear_thumbnails from projects p
        left join project_dashboard_settings d on d.project_id = p.id
        where ${
          scope.all
            ? sql`true`
            : scope.projects.size
              ? sql`p.id in (${sql.join(
                  [...scope.projects.keys()].map((id) => sql`${id}`),
                  sql`, `,
                )})`
              : sql`false`
        }
        order by p.name`,
  );
  const ids = projectRows.map((row) => row.id);
  const inProjects = (column: SQL) =>
    ids.length
      ? sql`${column} in (${sql.join(
          ids.map((id) => sql`${id}`),
          sql`, `,
        )})`
      : sql`false`;
  const teamRows = await queryRows<{ id: string; project_id: string; site_id: string | null; name: string }>(
    ex,
    sql`select id, project_id, site_id, name from teams t
        where ${inProjects(sql`t.project_id`)} and ${scopeCondition(scope, sql`t.project_id`, sql`t.id`)}
        order by name`,
  );
  const siteRows = await queryRows<{ id: string; project_id: string; name: string }>(
    ex,
    sql`select id, project_id, name from sites where ${inProjects(sql`project_id`)} order by name`,
  );
  // A supervisor of some teams sees only the sites those teams (or their seats) are on.
  const visibleSites = (projectId: string, siteId: string) => {
    const entry = scope.projects.get(projectId);
    if (scope.all || entry?.allTeams) return true;
    return teamRows.some((team) => team.site_id === siteId);
  };
  return {
    projects: projectRows.map((row) => ({
      id: row.id,
      name: row.name,
      clearThumbnails: row.clear_thumbnails ?? false,
    })),
    sites: siteRows
      .filter((row) => visibleSites(row.project_id, row.id))
      .map((row) => ({ id: row.id, projectId: row.project_id, name: row.name })),
    teams: teamRows.map((row) => ({
      id: row.id,
      projectId: row.project_id,
      siteId: row.site_id,
      name: row.name,
    })),
  };
}

/** project and team of a seat (for the policy), or null. */
export async function seatScope(
  ex: Executor,
  seatId: string,
): Promise<{ projectId: string; teamId: string | null } | null> {
  const [row] = await queryRows<{ project_id: string; team_id: string | null }>(
    ex,
    sql`select project_id, team_id from seats where id = ${seatId}`,
  );
  return row ? { projectId: row.project_id, teamId: row.team_id } : null;
}

export async function screenshotScope(
  ex: Executor,
  screenshotId: string,
): Promise<{ projectId: string; teamId: string | null; thumbSha256: string | null } | null> {
  if (!/^\d{1,18}$/.test(screenshotId)) return null;
  const [row] = await queryRows<{ project_id: string; team_id: string | null; thumb_sha256: string | null }>(
    ex,
    sql`select sh.project_id, s.team_id, sh.thumb_sha256 from screenshots sh
        join seats s on s.id = sh.seat_id where sh.id = ${Number(screenshotId)}`,
  );
  return row ? { projectId: row.project_id, teamId: row.team_id, thumbSha256: row.thumb_sha256 } : null;
}

const DETAIL_ROWS = 2000;

export async function seatDetail(
  ex: Executor,
  seat: BoardSeat,
  window: { from: number; to: number },
): Promise<Omit<SeatDetail, 'seat' | 'canCapture'>> {
  const from = new Date(window.from);
  const to = new Date(window.to);
  const [names] = await queryRows<{ project: string; site: string | null; team: string | null }>(
    ex,
    sql`select p.name as project, si.name as site, t.name as team from seats s
        join projects p on p.id = s.project_id
        left join sites si on si.id = s.site_id
        left join teams t on t.id = s.team_id
        where s.id = ${seat.id}`,
  );
  const agents = seat.agentId
    ? await queryRows<{
        id: string;
        status: string;
        hostname: string;
        os: string;
        os_user: string;
        agent_version: string;
        notice_version: number;
        enrolled_at: Date | string;
        last_ip: string | null;
        last_seen_at: Date | string | null;
      }>(
        ex,
        sql`select id, status, hostname, os, os_user, agent_version, notice_version, created_at as enrolled_at, last_ip, last_seen_at
            from agents where id = ${seat.agentId}`,
      )
    : [];
  const spans = await queryRows<{
    started_at: Date | string;
    ended_at: Date | string;
    app: string;
    title: string;
  }>(
    ex,
    sql`select started_at, ended_at, app, title from activity_spans
        where seat_id = ${seat.id} and ended_at >= ${from} and started_at < ${to}
        order by started_at limit ${DETAIL_ROWS}`,
  );
  const states = await queryRows<{ time: Date | string; state: 'active' | 'idle' | 'locked' }>(
    ex,
    sql`select time, body->>'state' as state from events
        where seat_id = ${seat.id} and type = 'status' and time >= ${from} and time < ${to}
        order by time limit ${DETAIL_ROWS}`,
  );
  const shots = await queryRows<{
    id: string | number;
    time: Date | string;
    width: number;
    height: number;
    trigger: string;
    command_id: string | null;
  }>(
    ex,
    sql`select id, time, width, height, trigger, command_id from screenshots
        where seat_id = ${seat.id} and thumb_sha256 is not null and time >= ${from} and time < ${to}
        order by time desc limit 12`,
  );
  const devices = await queryRows<{
    time: Date | string;
    action: 'attached' | 'detached';
    name: string;
    manufacturer: string | null;
    vendor_id: string | null;
    product_id: string | null;
    serial: string | null;
    mass_storage: boolean;
  }>(
    ex,
    sql`select time, action, name, manufacturer, vendor_id, product_id, serial, mass_storage from device_events
        where seat_id = ${seat.id} and time >= ${from} and time < ${to}
        order by time desc limit 200`,
  );
  const logins = await queryRows<{
    at: Date | string;
    kind: string;
    ip: string;
    allowed: boolean;
    reason: string | null;
    hostname: string | null;
    os_user: string | null;
  }>(
    ex,
    sql`select at, kind, ip, allowed, reason, hostname, os_user from logins
        where seat_id = ${seat.id} and at >= ${from} and at < ${to}
        order by at desc limit 100`,
  );
  const agent = agents[0];
  return {
    projectName: names?.project ?? '',
    siteName: names?.site ?? null,
    teamName: names?.team ?? null,
    agent: agent
      ? {
          id: agent.id,
          status: agent.status,
          hostname: agent.hostname,
          os: agent.os,
          osUser: agent.os_user,
          agentVersion: agent.agent_version,
          noticeVersion: agent.notice_version,
          enrolledAt: ms(agent.enrolled_at)!,
          lastIp: agent.last_ip,
          lastSeenAt: ms(agent.last_seen_at),
        }
      : null,
    spans: spans.map((row) => ({
      start: ms(row.started_at)!,
      end: ms(row.ended_at)!,
      app: row.app,
      title: row.title,
    })),
    states: states.map((row) => ({ time: ms(row.time)!, state: row.state })),
    screenshots: shots.map((row) => ({
      id: String(row.id),
      time: ms(row.time)!,
      width: row.width,
      height: row.height,
      trigger: row.trigger,
      commandId: row.command_id,
    })),
    devices: devices.map((row) => ({
      time: ms(row.time)!,
      action: row.action,
      name: row.name,
      manufacturer: row.manufacturer,
      vendorId: row.vendor_id,
      productId: row.product_id,
      serial: row.serial,
      massStorage: row.mass_storage,
    })),
    logins: logins.map((row) => ({
      time: ms(row.at)!,
      kind: row.kind,
      ip: row.ip,
      allowed: row.allowed,
      reason: row.reason,
      hostname: row.hostname,
      osUser: row.os_user,
    })),
  };
}
