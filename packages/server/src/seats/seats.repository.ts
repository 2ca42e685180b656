/**
 * Every query of the board, the seat page and the live stream. One query
 * builds every tile (seat, its active agent, current application, latest
 * thumbnail, open alerts, and the window title where the seat's policy shows it), filtered in SQL by the viewer's scope, so a
 * 1,000-seat board is one round trip (docs/benchmarks.md measures it). The
 * same query with a list of seat ids feeds the live stream.
 */
import type { BoardSeat, SeatDetail, Severity } from '@seatwatch/shared/dashboard-api';
import { inArray, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { nullable, rowsOf } from '../db/raw-rows.js';
import { DEVICE_EVENT_COLUMNS, LOGIN_COLUMNS } from '../db/row-columns.js';
import {
  activitySpans,
  agents,
  anomalies,
  deviceEvents,
  events,
  projectDashboardSettings,
  projects,
  screenshots,
  seats,
  sites,
  teams,
} from '../db/schema/index.js';
import { scopeCondition } from '../db/scope-condition.js';
import { valueList } from '../db/sql-lists.js';
import type { Scope } from '../domain/authz-policy.js';

export type AnomalyRow = typeof anomalies.$inferSelect;
export type SeatPlace = Pick<typeof seats.$inferSelect, 'projectId' | 'teamId'>;
export type ScreenshotPlace = SeatPlace &
  Pick<typeof screenshots.$inferSelect, 'id' | 'time' | 'seatId' | 'sha256' | 'thumbSha256'>;
export type TeamRow = Pick<typeof teams.$inferSelect, 'id' | 'projectId' | 'siteId' | 'name'>;

const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  low: 1,
  warning: 2,
  medium: 3,
  high: 4,
  critical: 5,
};
const RANKED: readonly Severity[] = ['low', 'warning', 'medium', 'high', 'critical'];

const severityRank = sql.raw(
  `case severity ${Object.entries(SEVERITY_RANK)
    .map(([name, rank]) => `when '${name}' then ${rank}`)
    .join(' ')} else 1 end`,
);

/** A tile's columns; the lateral joins leave the agent, application and screenshot null when there is none. */
const TILE = {
  id: seats.id,
  project_id: seats.projectId,
  site_id: seats.siteId,
  team_id: seats.teamId,
  name: seats.name,
  agent_id: nullable(agents.id),
  hostname: nullable(agents.hostname),
  os_user: nullable(agents.osUser),
  session: agents.session,
  operators: (value: unknown) => (Array.isArray(value) ? value.map(String) : []),
  state: agents.state,
  state_at: agents.stateAt,
  connected_at: agents.connectedAt,
  disconnected_at: agents.disconnectedAt,
  last_seen_at: agents.lastSeenAt,
  app: nullable(activitySpans.app),
  title: nullable(activitySpans.title),
  show_titles: nullable(String),
  shot_id: nullable(screenshots.id),
  shot_time: nullable(screenshots.time),
  open_alerts: Number,
  max_rank: nullable(Number),
  silent_since: nullable(anomalies.firstAt),
};

/**
 * The latest row of seat `s` in a telemetry table (its columns `columns`). The tables have a
 * partition a day, and a seat's latest row looked for in all of them is an index probe in each (60
 * and more on a floor's database: issue #15). Nearly every seat on a board has one from the last
 * three days (a weekend included), so those are looked in first; the second query, over every
 * partition, runs only for a seat with none there. Names are this file's constants.
 */
const latestOfSeat = (table: string, time: string, columns: string) =>
  sql.raw(`(select ${columns} from ${table} where seat_id = s.id and ${time} >= now() - interval '3 days'
             order by ${time} desc limit 1)
           union all
           (select ${columns} from ${table} where seat_id = s.id order by ${time} desc limit 1)
           limit 1`);

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
        : sql`s.id in ${valueList(seatIds)}`;
  const rows = await rowsOf(
    ex,
    sql`
      select s.id, s.project_id, s.site_id, s.team_id, s.name,
             a.id as agent_id, a.hostname, a.os_user, a.session, a.state, a.state_at, a.connected_at,
             a.disconnected_at, a.last_seen_at,
             -- A shared seat's operators: the accounts with a desktop session open (issue #14).
             (select coalesce(json_agg(ds.os_user order by ds.started_at, ds.os_user), '[]'::json)
                from desktop_sessions ds where ds.agent_id = a.id) as operators,
             sp.app, sp.title, pol.show_titles, sh.id as shot_id, sh.time as shot_time,
             al.open_alerts, al.max_rank,
             -- The agent went quiet on an open connection (agent_silent, key ''), until frames arrive again.
             (
               select min(anomalies.first_at) from anomalies
               where anomalies.agent_id = a.id and anomalies.rule = 'agent_silent' and anomalies.key = ''
                 and anomalies.status in ('open', 'acknowledged')
                 and anomalies.last_at >= coalesce(a.connected_at, anomalies.last_at)
             ) as silent_since
      from seats s
      left join lateral (
        select * from agents where agents.seat_id = s.id and agents.status = 'active'
        order by agents.last_seen_at desc nulls last limit 1
      ) a on true
      left join lateral (${latestOfSeat('activity_spans', 'started_at', 'app, title')}) sp on true
      -- The seat's policy: its site's if the site has one, else its project's (as tenancy reads it).
      left join lateral (
        select policies.settings->>'showWindowTitles' as show_titles from policies
        where policies.project_id = s.project_id and (policies.site_id is null or policies.site_id = s.site_id)
        order by policies.site_id nulls last limit 1
      ) pol on true
      left join lateral (${latestOfSeat('screenshots', 'time', 'id, time')}) sh on true
      left join lateral (
        select count(*)::int as open_alerts, max(${severityRank}) as max_rank
        from anomalies where anomalies.seat_id = s.id and anomalies.status = 'open'
      ) al on true
      where ${scopeCondition(scope, sql`s.project_id`, sql`s.team_id`)} and ${only}
      order by s.name`,
    TILE,
  );
  return rows.map((row) => {
    const connected = row.agent_id !== null && row.session !== null;
    const rank = row.max_rank ?? 0;
    return {
      id: row.id,
      projectId: row.project_id,
      siteId: row.site_id,
      teamId: row.team_id,
      name: row.name,
      agentId: row.agent_id,
      hostname: row.hostname,
      operator: row.os_user,
      // Sessions a killed service left open are closed by its next start; until then the seat is offline.
      operators: connected ? (row.operators ?? []) : [],
      connected,
      state: !connected ? 'offline' : row.silent_since ? 'silent' : (row.state ?? 'active'),
      stateSince:
        (connected
          ? (row.silent_since ?? row.state_at ?? row.connected_at)
          : (row.disconnected_at ?? row.last_seen_at)
        )?.getTime() ?? null,
      app: connected ? row.app : null,
      // Shown unless the policy says no; an absent flag takes its default (on).
      title: connected && row.show_titles !== 'false' ? row.title : null,
      lastSeenAt: row.last_seen_at?.getTime() ?? null,
      openAlerts: row.open_alerts,
      alertSeverity: rank > 0 ? RANKED[rank - 1]! : null,
      screenshot: row.shot_id === null ? null : { id: String(row.shot_id), time: row.shot_time!.getTime() },
    };
  });
}

/** The projects of the scope, with whether their thumbnails are shown clear. */
export function boardProjects(ex: Executor, scope: Scope) {
  return rowsOf(
    ex,
    sql`select p.id, p.name, d.clear_thumbnails from projects p
        left join project_dashboard_settings d on d.project_id = p.id
        where ${
          scope.all
            ? sql`true`
            : scope.projects.size
              ? sql`p.id in ${valueList([...scope.projects.keys()])}`
              : sql`false`
        }
        order by p.name`,
    {
      id: projects.id,
      name: projects.name,
      clear_thumbnails: nullable(projectDashboardSettings.clearThumbnails),
    },
  );
}

const inProjects = (column: SQL, projectIds: readonly string[]) =>
  projectIds.length ? sql`${column} in ${valueList(projectIds)}` : sql`false`;

/** The teams of these projects that the scope covers. */
export async function boardTeams(
  ex: Executor,
  scope: Scope,
  projectIds: readonly string[],
): Promise<TeamRow[]> {
  const rows = await rowsOf(
    ex,
    sql`select id, project_id, site_id, name from teams t
        where ${inProjects(sql`t.project_id`, projectIds)} and ${scopeCondition(scope, sql`t.project_id`, sql`t.id`)}
        order by name`,
    { id: teams.id, project_id: teams.projectId, site_id: teams.siteId, name: teams.name },
  );
  return rows.map((row) => ({ id: row.id, projectId: row.project_id, siteId: row.site_id, name: row.name }));
}

/** Every site of these projects. */
export async function boardSites(ex: Executor, projectIds: readonly string[]) {
  const rows = await rowsOf(
    ex,
    sql`select id, project_id, name from sites where ${inProjects(sql`project_id`, projectIds)} order by name`,
    { id: sites.id, project_id: sites.projectId, name: sites.name },
  );
  return rows.map((row) => ({ id: row.id, projectId: row.project_id, name: row.name }));
}

/** project and team of a seat (for the policy), or null. */
export async function seatPlace(ex: Executor, seatId: string): Promise<SeatPlace | null> {
  const [row] = await rowsOf(ex, sql`select project_id, team_id from seats where id = ${seatId}`, {
    project_id: seats.projectId,
    team_id: seats.teamId,
  });
  return row ? { projectId: row.project_id, teamId: row.team_id } : null;
}

/** project and team of a screenshot's seat, and its image and thumbnail (if made yet), or null. */
export async function screenshotPlace(ex: Executor, screenshotId: number): Promise<ScreenshotPlace | null> {
  const [row] = await rowsOf(
    ex,
    sql`select sh.id, sh.time, sh.project_id, sh.seat_id, s.team_id, sh.sha256, sh.thumb_sha256 from screenshots sh
        join seats s on s.id = sh.seat_id where sh.id = ${screenshotId}`,
    {
      id: screenshots.id,
      time: screenshots.time,
      project_id: screenshots.projectId,
      seat_id: screenshots.seatId,
      team_id: seats.teamId,
      sha256: screenshots.sha256,
      thumb_sha256: screenshots.thumbSha256,
    },
  );
  return row
    ? {
        id: row.id,
        time: row.time,
        projectId: row.project_id,
        seatId: row.seat_id,
        teamId: row.team_id,
        sha256: row.sha256,
        thumbSha256: row.thumb_sha256,
      }
    : null;
}

const DETAIL_ROWS = 2000;

/** What the seat page shows of one seat over a window, besides its tile. */
export async function seatDetail(
  ex: Executor,
  seat: BoardSeat,
  window: { from: number; to: number },
): Promise<Omit<SeatDetail, 'seat' | 'canCapture'>> {
  const from = new Date(window.from);
  const to = new Date(window.to);
  const [names] = await rowsOf(
    ex,
    sql`select p.name as project, si.name as site, t.name as team from seats s
        join projects p on p.id = s.project_id
        left join sites si on si.id = s.site_id
        left join teams t on t.id = s.team_id
        where s.id = ${seat.id}`,
    { project: projects.name, site: nullable(sites.name), team: nullable(teams.name) },
  );
  const [agent] = seat.agentId
    ? await rowsOf(
        ex,
        sql`select id, status, hostname, os, os_user, agent_version, notice_version, created_at as enrolled_at, last_ip, last_seen_at
            from agents where id = ${seat.agentId}`,
        {
          id: agents.id,
          status: agents.status,
          hostname: agents.hostname,
          os: agents.os,
          os_user: agents.osUser,
          agent_version: agents.agentVersion,
          notice_version: agents.noticeVersion,
          enrolled_at: agents.enrolledAt,
          last_ip: agents.lastIp,
          last_seen_at: agents.lastSeenAt,
        },
      )
    : [];
  const spans = await rowsOf(
    ex,
    sql`select started_at, ended_at, app, title, os_user from activity_spans
        where seat_id = ${seat.id} and ended_at >= ${from} and started_at < ${to}
        order by started_at limit ${DETAIL_ROWS}`,
    {
      started_at: activitySpans.startedAt,
      ended_at: activitySpans.endedAt,
      app: activitySpans.app,
      title: activitySpans.title,
      os_user: activitySpans.osUser,
    },
  );
  const states = await rowsOf(
    ex,
    sql`select time, body->>'state' as state from events
        where seat_id = ${seat.id} and type = 'status' and time >= ${from} and time < ${to}
        order by time limit ${DETAIL_ROWS}`,
    // A status event's body holds the state that the agent row keeps as its latest.
    { time: events.time, state: agents.state },
  );
  const shots = await rowsOf(
    ex,
    sql`select id, time, width, height, trigger, command_id, os_user from screenshots
        where seat_id = ${seat.id} and time >= ${from} and time < ${to}
        order by time desc limit 12`,
    {
      id: screenshots.id,
      time: screenshots.time,
      width: screenshots.width,
      height: screenshots.height,
      trigger: screenshots.trigger,
      command_id: screenshots.commandId,
      os_user: screenshots.osUser,
    },
  );
  const devices = await rowsOf(
    ex,
    sql`select time, action, name, manufacturer, vendor_id, product_id, serial, mass_storage, os_user from device_events
        where seat_id = ${seat.id} and time >= ${from} and time < ${to}
        order by time desc limit 200`,
    {
      ...DEVICE_EVENT_COLUMNS,
      os_user: deviceEvents.osUser,
    },
  );
  const seatLogins = await rowsOf(
    ex,
    sql`select at, kind, ip, allowed, reason, hostname, os_user from logins
        where seat_id = ${seat.id} and at >= ${from} and at < ${to}
        order by at desc limit 100`,
    {
      ...LOGIN_COLUMNS,
    },
  );
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
          enrolledAt: agent.enrolled_at.getTime(),
          lastIp: agent.last_ip,
          lastSeenAt: agent.last_seen_at?.getTime() ?? null,
        }
      : null,
    spans: spans.map((row) => ({
      start: row.started_at.getTime(),
      end: row.ended_at.getTime(),
      app: row.app,
      title: row.title,
      osUser: row.os_user,
    })),
    states: states.map((row) => ({ time: row.time.getTime(), state: row.state! })),
    screenshots: shots.map((row) => ({
      id: String(row.id),
      time: row.time.getTime(),
      width: row.width,
      height: row.height,
      trigger: row.trigger,
      commandId: row.command_id,
      osUser: row.os_user,
    })),
    devices: devices.map((row) => ({
      time: row.time.getTime(),
      action: row.action,
      name: row.name,
      manufacturer: row.manufacturer,
      vendorId: row.vendor_id,
      productId: row.product_id,
      serial: row.serial,
      massStorage: row.mass_storage,
      osUser: row.os_user,
    })),
    logins: seatLogins.map((row) => ({
      time: row.at.getTime(),
      kind: row.kind,
      ip: row.ip,
      allowed: row.allowed,
      reason: row.reason,
      hostname: row.hostname,
      osUser: row.os_user,
    })),
  };
}

/** Anomalies by id (the live stream re-reads those a notification named). */
export function anomaliesById(ex: Executor, ids: readonly string[]): Promise<AnomalyRow[]> {
  return ex
    .select()
    .from(anomalies)
    .where(inArray(anomalies.id, [...ids]));
}

/** Names of these seats, by id. */
export async function seatNames(ex: Executor, seatIds: readonly string[]): Promise<Map<string, string>> {
  const rows = await ex
    .select({ id: seats.id, name: seats.name })
    .from(seats)
    .where(inArray(seats.id, [...seatIds]));
  return new Map(rows.map((row) => [row.id, row.name]));
}
