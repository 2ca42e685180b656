/**
 * The investigation's queries: the timeline's sections, the seats it
 * covers, the screenshots it serves and the cases a look may cite. Every
 * timeline query is bounded by seat ids and the time range, so it walks the
 * (seat_id, time) indexes of its table and nothing else; pages continue by
 * keyset (time, id).
 */
import type {
  AppTotal,
  TimelineAnomaly,
  TimelineDevice,
  TimelineLogin,
  TimelineScreenshot,
  TimelineSeat,
  TimelineSpan,
  TimelineState,
} from '@seatwatch/shared/dashboard-api';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { nullable, type RowOf, rowsOf } from '../db/raw-rows.js';
import { DEVICE_EVENT_COLUMNS, LOGIN_COLUMNS } from '../db/row-columns.js';
import {
  activitySpans,
  agents,
  anomalies,
  cases,
  deviceEvents,
  events,
  logins,
  screenshots,
  seats,
  sites,
  teams,
} from '../db/schema/index.js';
import { scopeCondition } from '../db/scope-condition.js';
import { valueList } from '../db/sql-lists.js';
import type { Scope } from '../domain/authz-policy.js';
import type { TimelineCursor } from './timeline-cursor.js';

export type CitedCase = Pick<typeof cases.$inferSelect, 'projectId' | 'status'>;

export interface TimelineWindow {
  seatIds: readonly string[];
  from: number;
  to: number;
}

export interface SpanFilter {
  /** Substring of title or app (case-insensitive). */
  q?: string | undefined;
  apps?: readonly string[] | undefined;
}

/** Timeline pages run oldest first; the self-view asks for the latest rows first. */
export type Order = 'asc' | 'desc';
const orderBy = (order: Order, column: string) =>
  sql.raw(order === 'asc' ? `${column}, t.id` : `${column} desc, t.id desc`);
const iso = (value: number) => new Date(value).toISOString();
const ids = valueList;

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The viewer's scope as a condition on a seats row aliased `s`. */
const seatScopeCondition = (scope: Scope): SQL => scopeCondition(scope, sql`s.project_id`, sql`s.team_id`);

/** The one column list of a seats row aliased `s`, and how it decodes. */
const SEAT_COLUMNS = sql.raw('s.id, s.name, s.project_id, s.site_id, s.team_id');
const SEAT = {
  id: seats.id,
  name: seats.name,
  project_id: seats.projectId,
  site_id: seats.siteId,
  team_id: seats.teamId,
};

async function seatRows(ex: Executor, query: SQL): Promise<TimelineSeat[]> {
  const rows = await rowsOf(ex, query, SEAT);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    projectId: row.project_id,
    siteId: row.site_id,
    teamId: row.team_id,
  }));
}

export async function seatsById(ex: Executor, seatIds: readonly string[]): Promise<TimelineSeat[]> {
  if (seatIds.length === 0) return [];
  return seatRows(ex, sql`select ${SEAT_COLUMNS} from seats s where s.id in ${ids(seatIds)} order by s.name`);
}

/** Every seat the viewer may investigate, with its site's and team's names (for the seat picker). */
export async function seatsInScope(ex: Executor, scope: Scope): Promise<TimelineSeat[]> {
  const rows = await rowsOf(
    ex,
    sql`select ${SEAT_COLUMNS}, st.name as site_name, tm.name as team_name
        from seats s left join sites st on st.id = s.site_id left join teams tm on tm.id = s.team_id
        where ${seatScopeCondition(scope)}
        order by s.name limit 5000`,
    { ...SEAT, site_name: nullable(sites.name), team_name: nullable(teams.name) },
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    projectId: row.project_id,
    siteId: row.site_id,
    teamId: row.team_id,
    siteName: row.site_name,
    teamName: row.team_name,
  }));
}

/**
 * Seats an operator (OS user) used in the range: the seats of hellos they
 * made then, and of agents enrolled under their name; only within scope.
 */
export async function seatsOfOperators(
  ex: Executor,
  scope: Scope,
  operators: readonly string[],
  from: number,
  to: number,
): Promise<TimelineSeat[]> {
  if (operators.length === 0) return [];
  return seatRows(
    ex,
    sql`
      select ${SEAT_COLUMNS} from seats s
      where ${seatScopeCondition(scope)} and s.id in (
        select l.seat_id from logins l
        where l.os_user in ${ids(operators)} and l.allowed and l.seat_id is not null
          and l.at >= ${iso(from)}::timestamptz and l.at < ${iso(to)}::timestamptz
        union
        select a.seat_id from agents a where a.os_user in ${ids(operators)}
      )
      order by s.name`,
  );
}

// ---- activity spans ---------------------------------------------------------------------------

/** The columns of a span as the timeline and the self-view read them (`t.id, t.seat_id, ... t.os_user`). */
export const SPAN_ROW = {
  id: activitySpans.id,
  seat_id: activitySpans.seatId,
  started_at: activitySpans.startedAt,
  ended_at: activitySpans.endedAt,
  app: activitySpans.app,
  title: activitySpans.title,
  os_user: activitySpans.osUser,
};

export const spanFromRow = (row: RowOf<typeof SPAN_ROW>): TimelineSpan => ({
  id: String(row.id),
  seatId: row.seat_id,
  start: row.started_at.getTime(),
  end: row.ended_at.getTime(),
  app: row.app,
  title: row.title,
  osUser: row.os_user,
});

function spanFilterSql(filter: SpanFilter, alias = 't'): SQL {
  const a = sql.raw(alias);
  const parts: SQL[] = [];
  if (filter.q) {
    const pattern = likePattern(filter.q);
    parts.push(sql`(${a}.title ilike ${pattern} or ${a}.app ilike ${pattern})`);
  }
  if (filter.apps && filter.apps.length > 0) parts.push(sql`${a}.app in ${ids(filter.apps)}`);
  return parts.length ? sql.join(parts, sql` and `) : sql`true`;
}

/** A page's rows only, in each part of the union: the index gives them in order, so no part sorts them all. */
interface PageInParts {
  where: (alias: string) => SQL;
  order: Order;
  limit: number;
}

/**
 * Spans overlapping [from, to): those starting inside it, plus for each
 * seat the latest spans starting before `from` that run into it (without
 * the second part, a query for one late day would walk every earlier span).
 */
export function overlappingSpans(window: TimelineWindow, page?: PageInParts): SQL {
  const from = iso(window.from);
  const to = iso(window.to);
  const inside = page
    ? sql`and ${page.where('x')} order by ${sql.raw(page.order === 'asc' ? 'x.started_at, x.id' : 'x.started_at desc, x.id desc')}
          limit ${page.limit}`
    : sql``;
  return sql`(
    (select x.id, x.seat_id, x.started_at, x.ended_at, x.app, x.title, x.os_user from activity_spans x
     where x.seat_id in ${ids(window.seatIds)}
       and x.started_at >= ${from}::timestamptz and x.started_at < ${to}::timestamptz ${inside})
    union all
    select b.id, b.seat_id, b.started_at, b.ended_at, b.app, b.title, b.os_user
    from (values ${sql.join(
      window.seatIds.map((id) => sql`(${id}::text)`),
      sql`, `,
    )}) as seat(id)
    cross join lateral (
      select y.id, y.seat_id, y.started_at, y.ended_at, y.app, y.title, y.os_user from activity_spans y
      where y.seat_id = seat.id and y.started_at < ${from}::timestamptz
      order by y.started_at desc limit 4
    ) b
    where b.ended_at > ${from}::timestamptz
  )`;
}

export async function spanPage(
  ex: Executor,
  window: TimelineWindow,
  filter: SpanFilter,
  after: TimelineCursor | null,
  limit: number,
  order: Order = 'asc',
): Promise<TimelineSpan[]> {
  const where = (alias: string) => {
    const a = sql.raw(alias);
    return sql`${spanFilterSql(filter, alias)}
      and ${after ? sql`(${a}.started_at, ${a}.id) > (${iso(after.time)}::timestamptz, ${after.id}::bigint)` : sql`true`}`;
  };
  const rows = await rowsOf(
    ex,
    sql`
      select t.id, t.seat_id, t.started_at, t.ended_at, t.app, t.title, t.os_user
      from ${overlappingSpans(window, { where, order, limit: limit + 1 })} t
      where ${where('t')}
      order by ${orderBy(order, 't.started_at')}
      limit ${limit + 1}`,
    SPAN_ROW,
  );
  return rows.map(spanFromRow);
}

/** Time per application inside the range (spans clipped to it), longest first. */
export async function appTotals(
  ex: Executor,
  window: TimelineWindow,
  filter: SpanFilter,
): Promise<AppTotal[]> {
  const rows = await rowsOf(
    ex,
    sql`
      select t.app,
             (extract(epoch from sum(least(t.ended_at, ${iso(window.to)}::timestamptz)
                 - greatest(t.started_at, ${iso(window.from)}::timestamptz))) * 1000)::bigint as ms,
             count(*) as spans
      from ${overlappingSpans(window)} t
      where ${spanFilterSql(filter)}
      group by t.app
      order by ms desc, t.app
      limit 500`,
    { app: activitySpans.app, ms: Number, spans: Number },
  );
  return rows.map((row) => ({ app: row.app, ms: Math.max(0, row.ms), spans: row.spans }));
}

// ---- screenshots, devices, states: rows with one time column ----------------------------------

function timeBounded(column: string, window: TimelineWindow, after: TimelineCursor | null): SQL {
  const t = sql.raw(`t.${column}`);
  return sql`t.seat_id in ${ids(window.seatIds)}
    and ${t} >= ${iso(window.from)}::timestamptz and ${t} < ${iso(window.to)}::timestamptz
    and ${after ? sql`(${t}, t.id) > (${iso(after.time)}::timestamptz, ${after.id}::bigint)` : sql`true`}`;
}

/** A screenshot's columns as the timeline and the self-view read them (each has a thumbnail, made on first view). */
export const SCREENSHOT_ROW = {
  id: screenshots.id,
  seat_id: screenshots.seatId,
  time: screenshots.time,
  width: screenshots.width,
  height: screenshots.height,
  monitor: screenshots.monitor,
  trigger: screenshots.trigger,
  os_user: screenshots.osUser,
};

export const screenshotFromRow = (row: RowOf<typeof SCREENSHOT_ROW>): TimelineScreenshot => ({
  id: String(row.id),
  seatId: row.seat_id,
  time: row.time.getTime(),
  width: row.width,
  height: row.height,
  monitor: row.monitor,
  trigger: row.trigger,
  osUser: row.os_user,
});

export async function screenshotPage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
  order: Order = 'asc',
): Promise<TimelineScreenshot[]> {
  const rows = await rowsOf(
    ex,
    sql`
      select t.id, t.seat_id, t.time, t.width, t.height, t.monitor, t.trigger,
             t.os_user
      from screenshots t where ${timeBounded('time', window, after)}
      order by ${orderBy(order, 't.time')} limit ${limit + 1}`,
    SCREENSHOT_ROW,
  );
  return rows.map(screenshotFromRow);
}

export async function screenshotCount(ex: Executor, window: TimelineWindow): Promise<number> {
  const [row] = await rowsOf(
    ex,
    sql`select count(*) as n from screenshots t where ${timeBounded('time', window, null)}`,
    { n: Number },
  );
  return row?.n ?? 0;
}

/** A device event's columns as the timeline and the self-view read them. */
export const DEVICE_ROW = {
  id: deviceEvents.id,
  seat_id: deviceEvents.seatId,
  ...DEVICE_EVENT_COLUMNS,
  os_user: deviceEvents.osUser,
};

export const deviceFromRow = (row: RowOf<typeof DEVICE_ROW>): TimelineDevice => ({
  id: String(row.id),
  seatId: row.seat_id,
  time: row.time.getTime(),
  action: row.action,
  name: row.name,
  manufacturer: row.manufacturer,
  vendorId: row.vendor_id,
  productId: row.product_id,
  serial: row.serial,
  massStorage: row.mass_storage,
  osUser: row.os_user,
});

export async function devicePage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
  order: Order = 'asc',
): Promise<TimelineDevice[]> {
  const rows = await rowsOf(
    ex,
    sql`
      select t.id, t.seat_id, t.time, t.action, t.name, t.manufacturer, t.vendor_id, t.product_id, t.serial, t.mass_storage,
             t.os_user
      from device_events t where ${timeBounded('time', window, after)}
      order by ${orderBy(order, 't.time')} limit ${limit + 1}`,
    DEVICE_ROW,
  );
  return rows.map(deviceFromRow);
}

/** Status events (active / idle / locked); the partial index events_seat_status_time_idx serves this. */
export async function statePage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
): Promise<TimelineState[]> {
  const rows = await rowsOf(
    ex,
    sql`
      select t.id, t.seat_id, t.time, t.body->>'state' as state
      from events t where t.type = 'status' and ${timeBounded('time', window, after)}
      order by t.time, t.id limit ${limit + 1}`,
    // A status event's body holds the state that the agent row keeps as its latest.
    { id: events.id, seat_id: events.seatId, time: events.time, state: agents.state },
  );
  return rows.map((row) => ({
    id: String(row.id),
    seatId: row.seat_id,
    time: row.time.getTime(),
    state: row.state!,
  }));
}

// ---- logins and anomalies ---------------------------------------------------------------------

/** Hellos and enrollments of the seats' agents (logins_agent_at_idx). */
/** A login record's columns as the timeline and the self-view read them (its seat from the agent when it has none). */
export const LOGIN_ROW = { id: logins.id, seat_id: logins.seatId, ...LOGIN_COLUMNS };

export const loginFromRow = (row: RowOf<typeof LOGIN_ROW>): TimelineLogin => ({
  id: String(row.id),
  seatId: row.seat_id,
  time: row.at.getTime(),
  kind: row.kind,
  ip: row.ip,
  allowed: row.allowed,
  reason: row.reason,
  hostname: row.hostname,
  osUser: row.os_user,
});

export async function loginPage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
  order: Order = 'asc',
): Promise<TimelineLogin[]> {
  const rows = await rowsOf(
    ex,
    sql`
      select t.id, coalesce(t.seat_id, a.seat_id) as seat_id, t.at, t.kind, t.ip, t.allowed, t.reason, t.hostname, t.os_user
      from logins t join agents a on a.id = t.agent_id
      where a.seat_id in ${ids(window.seatIds)}
        and t.at >= ${iso(window.from)}::timestamptz and t.at < ${iso(window.to)}::timestamptz
        and ${after ? sql`(t.at, t.id) > (${iso(after.time)}::timestamptz, ${after.id}::bigint)` : sql`true`}
      order by ${orderBy(order, 't.at')} limit ${limit + 1}`,
    LOGIN_ROW,
  );
  return rows.map(loginFromRow);
}

/** Anomalies of the seats (by seat or by their agents) whose occurrences overlap the range. */
export async function anomalyPage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
): Promise<TimelineAnomaly[]> {
  const rows = await rowsOf(
    ex,
    sql`
      select t.id, t.seat_id, t.rule, t.severity, t.status, t.first_at, t.last_at, t.count, t.operator
      from anomalies t
      where (t.seat_id in ${ids(window.seatIds)}
             or t.agent_id in (select a.id from agents a where a.seat_id in ${ids(window.seatIds)}))
        and t.last_at >= ${iso(window.from)}::timestamptz and t.first_at < ${iso(window.to)}::timestamptz
        and ${after ? sql`(t.first_at, t.id) > (${iso(after.time)}::timestamptz, ${after.id})` : sql`true`}
      order by t.first_at, t.id limit ${limit + 1}`,
    {
      id: anomalies.id,
      seat_id: anomalies.seatId,
      rule: anomalies.rule,
      severity: anomalies.severity,
      status: anomalies.status,
      first_at: anomalies.firstAt,
      last_at: anomalies.lastAt,
      count: anomalies.count,
      operator: anomalies.operator,
    },
  );
  return rows.map((row) => ({
    id: row.id,
    seatId: row.seat_id,
    rule: row.rule,
    severity: row.severity,
    status: row.status,
    firstAt: row.first_at.getTime(),
    lastAt: row.last_at.getTime(),
    count: row.count,
    operator: row.operator,
  }));
}

// ---- what a look at the data refers to ------------------------------------------------------------

/** A screenshot with its seat's team (for the policy) and its blob. */
export async function findScreenshot(ex: Executor, id: string) {
  const [row] = await rowsOf(
    ex,
    sql`select sh.id, sh.project_id, sh.seat_id, s.team_id, sh.sha256, sh.mime, sh.time
        from screenshots sh join seats s on s.id = sh.seat_id where sh.id = ${id}::bigint`,
    {
      id: screenshots.id,
      project_id: screenshots.projectId,
      seat_id: screenshots.seatId,
      team_id: seats.teamId,
      sha256: screenshots.sha256,
      mime: screenshots.mime,
      time: screenshots.time,
    },
  );
  return row ?? null;
}

/** The project and status of the case a look cites as its purpose, or null. */
export async function citedCase(ex: Executor, caseId: string): Promise<CitedCase | null> {
  const [row] = await ex
    .select({ projectId: cases.projectId, status: cases.status })
    .from(cases)
    .where(eq(cases.id, caseId));
  return row ?? null;
}
