/**
 * The timeline's SQL. Every query is bounded by seat ids and the time
 * range, so it walks the (seat_id, time) indexes of its table and nothing
 * else; pages continue by keyset (time, id).
 */
import { type SQL, sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../db/connect.js';
import { valueList } from '../db/sql-lists.js';
import type { Scope } from '../domain/authz-policy.js';
import type { TimelineCursor } from './timeline-cursor.js';

export interface TimelineSeatRow {
  id: string;
  name: string;
  projectId: string;
  siteId: string | null;
  teamId: string | null;
}

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

type Time = Date | string;
/** Timeline pages run oldest first; the self-view asks for the latest rows first. */
export type Order = 'asc' | 'desc';
const orderBy = (order: Order, column: string) =>
  sql.raw(order === 'asc' ? `${column}, t.id` : `${column} desc, t.id desc`);
export const ms = (value: Time): number => (value instanceof Date ? value : new Date(value)).getTime();
const iso = (value: number) => new Date(value).toISOString();
const ids = valueList;

export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The viewer's scope as a condition on a seats row aliased `s`. */
export function seatScopeCondition(scope: Scope): SQL {
  if (scope.all) return sql`true`;
  const parts: SQL[] = [];
  for (const [projectId, entry] of scope.projects) {
    if (entry.allTeams) parts.push(sql`s.project_id = ${projectId}`);
    else if (entry.teamIds.length > 0) {
      parts.push(sql`(s.project_id = ${projectId} and s.team_id in ${ids(entry.teamIds)})`);
    }
  }
  return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`false`;
}

interface SeatDbRow {
  id: string;
  name: string;
  project_id: string;
  site_id: string | null;
  team_id: string | null;
}

const toSeat = (row: SeatDbRow): TimelineSeatRow => ({
  id: row.id,
  name: row.name,
  projectId: row.project_id,
  siteId: row.site_id,
  teamId: row.team_id,
});

export async function seatsById(ex: Executor, seatIds: readonly string[]): Promise<TimelineSeatRow[]> {
  if (seatIds.length === 0) return [];
  const rows = await queryRows<SeatDbRow>(
    ex,
    sql`select s.id, s.name, s.project_id, s.site_id, s.team_id from seats s where s.id in ${ids(seatIds)} order by s.name`,
  );
  return rows.map(toSeat);
}

/** Every seat the viewer may investigate (for the seat picker). */
export async function seatsInScope(ex: Executor, scope: Scope): Promise<TimelineSeatRow[]> {
  const rows = await queryRows<SeatDbRow>(
    ex,
    sql`select s.id, s.name, s.project_id, s.site_id, s.team_id from seats s where ${seatScopeCondition(scope)}
        order by s.name limit 5000`,
  );
  return rows.map(toSeat);
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
): Promise<TimelineSeatRow[]> {
  if (operators.length === 0) return [];
  const rows = await queryRows<SeatDbRow>(
    ex,
    sql`
      select s.id, s.name, s.project_id, s.site_id, s.team_id from seats s
      where ${seatScopeCondition(scope)} and s.id in (
        select l.seat_id from logins l
        where l.os_user in ${ids(operators)} and l.allowed and l.seat_id is not null
          and l.at >= ${iso(from)}::timestamptz and l.at < ${iso(to)}::timestamptz
        union
        select a.seat_id from agents a where a.os_user in ${ids(operators)}
      )
      order by s.name`,
  );
  return rows.map(toSeat);
}

// ---- activity spans ---------------------------------------------------------------------------

interface SpanDbRow {
  id: string | number;
  seat_id: string;
  started_at: Time;
  ended_at: Time;
  app: string;
  title: string;
}

export interface SpanRow {
  id: string;
  seatId: string;
  start: number;
  end: number;
  app: string;
  title: string;
}

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
function overlappingSpans(window: TimelineWindow, page?: PageInParts): SQL {
  const from = iso(window.from);
  const to = iso(window.to);
  const inside = page
    ? sql`and ${page.where('x')} order by ${sql.raw(page.order === 'asc' ? 'x.started_at, x.id' : 'x.started_at desc, x.id desc')}
          limit ${page.limit}`
    : sql``;
  return sql`(
    (select x.id, x.seat_id, x.started_at, x.ended_at, x.app, x.title from activity_spans x
     where x.seat_id in ${ids(window.seatIds)}
       and x.started_at >= ${from}::timestamptz and x.started_at < ${to}::timestamptz ${inside})
    union all
    select b.id, b.seat_id, b.started_at, b.ended_at, b.app, b.title
    from (values ${sql.join(
      window.seatIds.map((id) => sql`(${id}::text)`),
      sql`, `,
    )}) as seat(id)
    cross join lateral (
      select y.id, y.seat_id, y.started_at, y.ended_at, y.app, y.title from activity_spans y
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
): Promise<SpanRow[]> {
  const where = (alias: string) => {
    const a = sql.raw(alias);
    return sql`${spanFilterSql(filter, alias)}
      and ${after ? sql`(${a}.started_at, ${a}.id) > (${iso(after.time)}::timestamptz, ${after.id}::bigint)` : sql`true`}`;
  };
  const rows = await queryRows<SpanDbRow>(
    ex,
    sql`
      select t.id, t.seat_id, t.started_at, t.ended_at, t.app, t.title
      from ${overlappingSpans(window, { where, order, limit: limit + 1 })} t
      where ${where('t')}
      order by ${orderBy(order, 't.started_at')}
      limit ${limit + 1}`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    seatId: row.seat_id,
    start: ms(row.started_at),
    end: ms(row.ended_at),
    app: row.app,
    title: row.title,
  }));
}

export interface AppTotalRow {
  app: string;
  ms: number;
  spans: number;
}

/** Time per application inside the range (spans clipped to it), longest first. */
export async function appTotals(
  ex: Executor,
  window: TimelineWindow,
  filter: SpanFilter,
): Promise<AppTotalRow[]> {
  const rows = await queryRows<{ app: string; ms: string | number; spans: string | number }>(
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
  );
  return rows.map((row) => ({ app: row.app, ms: Math.max(0, Number(row.ms)), spans: Number(row.spans) }));
}

// ---- screenshots, devices, states: rows with one time column ----------------------------------

function timeBounded(column: string, window: TimelineWindow, after: TimelineCursor | null): SQL {
  const t = sql.raw(`t.${column}`);
  return sql`t.seat_id in ${ids(window.seatIds)}
    and ${t} >= ${iso(window.from)}::timestamptz and ${t} < ${iso(window.to)}::timestamptz
    and ${after ? sql`(${t}, t.id) > (${iso(after.time)}::timestamptz, ${after.id}::bigint)` : sql`true`}`;
}

export interface ScreenshotRow {
  id: string;
  seatId: string;
  time: number;
  width: number;
  height: number;
  monitor: number;
  trigger: string;
  hasThumbnail: boolean;
}

export async function screenshotPage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
  order: Order = 'asc',
): Promise<ScreenshotRow[]> {
  const rows = await queryRows<{
    id: string | number;
    seat_id: string;
    time: Time;
    width: number;
    height: number;
    monitor: number;
    trigger: string;
    has_thumb: boolean;
  }>(
    ex,
    sql`
      select t.id, t.seat_id, t.time, t.width, t.height, t.monitor, t.trigger, (t.thumb_sha256 is not null) as has_thumb
      from screenshots t where ${timeBounded('time', window, after)}
      order by ${orderBy(order, 't.time')} limit ${limit + 1}`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    seatId: row.seat_id,
    time: ms(row.time),
    width: row.width,
    height: row.height,
    monitor: row.monitor,
    trigger: row.trigger,
    hasThumbnail: row.has_thumb,
  }));
}

export async function screenshotCount(ex: Executor, window: TimelineWindow): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(
    ex,
    sql`select count(*) as n from screenshots t where ${timeBounded('time', window, null)}`,
  );
  return Number(row?.n ?? 0);
}

export interface DeviceRow {
  id: string;
  seatId: string;
  time: number;
  action: 'attached' | 'detached';
  name: string;
  manufacturer: string | null;
  vendorId: string | null;
  productId: string | null;
  serial: string | null;
  massStorage: boolean;
}

export async function devicePage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
  order: Order = 'asc',
): Promise<DeviceRow[]> {
  const rows = await queryRows<{
    id: string | number;
    seat_id: string;
    time: Time;
    action: 'attached' | 'detached';
    name: string;
    manufacturer: string | null;
    vendor_id: string | null;
    product_id: string | null;
    serial: string | null;
    mass_storage: boolean;
  }>(
    ex,
    sql`
      select t.id, t.seat_id, t.time, t.action, t.name, t.manufacturer, t.vendor_id, t.product_id, t.serial, t.mass_storage
      from device_events t where ${timeBounded('time', window, after)}
      order by ${orderBy(order, 't.time')} limit ${limit + 1}`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    seatId: row.seat_id,
    time: ms(row.time),
    action: row.action,
    name: row.name,
    manufacturer: row.manufacturer,
    vendorId: row.vendor_id,
    productId: row.product_id,
    serial: row.serial,
    massStorage: row.mass_storage,
  }));
}

export interface StateRow {
  id: string;
  seatId: string;
  time: number;
  state: 'active' | 'idle' | 'locked';
}

/** Status events (active / idle / locked); the partial index events_seat_status_time_idx serves this. */
export async function statePage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
): Promise<StateRow[]> {
  const rows = await queryRows<{
    id: string | number;
    seat_id: string;
    time: Time;
    state: StateRow['state'];
  }>(
    ex,
    sql`
      select t.id, t.seat_id, t.time, t.body->>'state' as state
      from events t where t.type = 'status' and ${timeBounded('time', window, after)}
      order by t.time, t.id limit ${limit + 1}`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    seatId: row.seat_id,
    time: ms(row.time),
    state: row.state,
  }));
}

// ---- logins and anomalies ---------------------------------------------------------------------

export interface LoginRow {
  id: string;
  seatId: string | null;
  time: number;
  kind: string;
  ip: string;
  allowed: boolean;
  reason: string | null;
  hostname: string | null;
  osUser: string | null;
}

/** Hellos and enrollments of the seats' agents (logins_agent_at_idx). */
export async function loginPage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
  order: Order = 'asc',
): Promise<LoginRow[]> {
  const rows = await queryRows<{
    id: string | number;
    seat_id: string | null;
    at: Time;
    kind: string;
    ip: string;
    allowed: boolean;
    reason: string | null;
    hostname: string | null;
    os_user: string | null;
  }>(
    ex,
    sql`
      select t.id, coalesce(t.seat_id, a.seat_id) as seat_id, t.at, t.kind, t.ip, t.allowed, t.reason, t.hostname, t.os_user
      from logins t join agents a on a.id = t.agent_id
      where a.seat_id in ${ids(window.seatIds)}
        and t.at >= ${iso(window.from)}::timestamptz and t.at < ${iso(window.to)}::timestamptz
        and ${after ? sql`(t.at, t.id) > (${iso(after.time)}::timestamptz, ${after.id}::bigint)` : sql`true`}
      order by ${orderBy(order, 't.at')} limit ${limit + 1}`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    seatId: row.seat_id,
    time: ms(row.at),
    kind: row.kind,
    ip: row.ip,
    allowed: row.allowed,
    reason: row.reason,
    hostname: row.hostname,
    osUser: row.os_user,
  }));
}

export interface AnomalyRow {
  id: string;
  seatId: string | null;
  rule: string;
  severity: string;
  status: string;
  firstAt: number;
  lastAt: number;
  count: number;
  operator: string | null;
}

/** Anomalies of the seats (by seat or by their agents) whose occurrences overlap the range. */
export async function anomalyPage(
  ex: Executor,
  window: TimelineWindow,
  after: TimelineCursor | null,
  limit: number,
): Promise<AnomalyRow[]> {
  const rows = await queryRows<{
    id: string;
    seat_id: string | null;
    rule: string;
    severity: string;
    status: string;
    first_at: Time;
    last_at: Time;
    count: number;
    operator: string | null;
  }>(
    ex,
    sql`
      select t.id, t.seat_id, t.rule, t.severity, t.status, t.first_at, t.last_at, t.count, t.operator
      from anomalies t
      where (t.seat_id in ${ids(window.seatIds)}
             or t.agent_id in (select a.id from agents a where a.seat_id in ${ids(window.seatIds)}))
        and t.last_at >= ${iso(window.from)}::timestamptz and t.first_at < ${iso(window.to)}::timestamptz
        and ${after ? sql`(t.first_at, t.id) > (${iso(after.time)}::timestamptz, ${after.id})` : sql`true`}
      order by t.first_at, t.id limit ${limit + 1}`,
  );
  return rows.map((row) => ({
    id: row.id,
    seatId: row.seat_id,
    rule: row.rule,
    severity: row.severity,
    status: row.status,
    firstAt: ms(row.first_at),
    lastAt: ms(row.last_at),
    count: Number(row.count),
    operator: row.operator,
  }));
}
