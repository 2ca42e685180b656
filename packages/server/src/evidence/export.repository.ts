/**
 * The rows an evidence bundle takes from the database, read page by page
 * by id. A scope says which rows: a case's items and time ranges, or a
 * whole project. Each table's columns are listed once, in CSV order, and
 * the JSON copy of a row is the object PostgreSQL renders for those columns.
 */
import { type Column, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { type RowOf, rowsOf } from '../db/raw-rows.js';
import {
  activitySpans,
  agents,
  anomalies,
  deviceEvents,
  events,
  logins,
  screenshots,
  signedFrames,
} from '../db/schema/index.js';
import { bigintList, valueList } from '../db/sql-lists.js';

export type ExportTable =
  | 'events'
  | 'activity_spans'
  | 'device_events'
  | 'screenshots'
  | 'logins'
  | 'anomalies'
  | 'agents'
  | 'signed_frames';

const TABLE_COLUMNS: Readonly<Record<ExportTable, readonly Column[]>> = {
  events: [
    events.id,
    events.projectId,
    events.agentId,
    events.seatId,
    events.seq,
    events.idx,
    events.type,
    events.time,
    events.receivedAt,
    events.body,
    events.osUser,
  ],
  activity_spans: [
    activitySpans.id,
    activitySpans.projectId,
    activitySpans.agentId,
    activitySpans.seatId,
    activitySpans.startedAt,
    activitySpans.endedAt,
    activitySpans.app,
    activitySpans.title,
    activitySpans.seq,
    activitySpans.osUser,
  ],
  device_events: [
    deviceEvents.id,
    deviceEvents.projectId,
    deviceEvents.agentId,
    deviceEvents.seatId,
    deviceEvents.seq,
    deviceEvents.idx,
    deviceEvents.time,
    deviceEvents.action,
    deviceEvents.deviceId,
    deviceEvents.vendorId,
    deviceEvents.productId,
    deviceEvents.name,
    deviceEvents.manufacturer,
    deviceEvents.serial,
    deviceEvents.deviceClass,
    deviceEvents.massStorage,
    deviceEvents.osUser,
  ],
  screenshots: [
    screenshots.id,
    screenshots.projectId,
    screenshots.agentId,
    screenshots.seatId,
    screenshots.seq,
    screenshots.time,
    screenshots.sha256,
    screenshots.size,
    screenshots.mime,
    screenshots.width,
    screenshots.height,
    screenshots.monitor,
    screenshots.trigger,
    screenshots.commandId,
    screenshots.receivedAt,
    screenshots.osUser,
  ],
  logins: [
    logins.id,
    logins.at,
    logins.kind,
    logins.projectId,
    logins.agentId,
    logins.claimedAgent,
    logins.seatId,
    logins.ip,
    logins.peerIp,
    logins.allowed,
    logins.reason,
    logins.clockSkewMs,
    logins.session,
    logins.hostname,
    logins.osUser,
    logins.agentVersion,
  ],
  anomalies: [
    anomalies.id,
    anomalies.projectId,
    anomalies.siteId,
    anomalies.teamId,
    anomalies.seatId,
    anomalies.agentId,
    anomalies.rule,
    anomalies.severity,
    anomalies.operator,
    anomalies.key,
    anomalies.firstAt,
    anomalies.lastAt,
    anomalies.count,
    anomalies.evidence,
    anomalies.status,
    anomalies.statusBy,
    anomalies.statusAt,
    anomalies.comment,
    anomalies.createdAt,
  ],
  // The enrolled public keys: what an examiner checks the seats' own signatures with.
  agents: [
    agents.id,
    agents.projectId,
    agents.seatId,
    agents.publicKey,
    agents.status,
    agents.hostname,
    agents.os,
    agents.osUser,
    agents.agentVersion,
    agents.enrolledAt,
    agents.enrolledIp,
    agents.revokedAt,
  ],
  signed_frames: [
    signedFrames.id,
    signedFrames.projectId,
    signedFrames.agentId,
    signedFrames.seatId,
    signedFrames.seq,
    signedFrames.kind,
    signedFrames.receivedAt,
    signedFrames.envelope,
  ],
};

/** Column names of a table in CSV order (the keys of its JSON rows). */
export const exportColumns = (table: ExportTable): string[] =>
  TABLE_COLUMNS[table].map((column) => column.name);

export interface CaseScope {
  refs: Readonly<Partial<Record<ExportTable, readonly string[]>>>;
  ranges: ReadonlyArray<{ seatId: string; from: Date; to: Date }>;
}

/** Which rows a bundle takes: everything of a project, or what a case of it names and covers. */
export type ExportScope = { projectId: string; case?: CaseScope };

/** Which rows of each table a bundle takes (a condition on alias t). */
type Selection = Readonly<Record<ExportTable, SQL>>;

const list = valueList;
const numericList = bigintList;

function anyOf(parts: SQL[]): SQL {
  return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`false`;
}

/** The rows a case names, and every row of its time ranges. */
function caseSelection(projectId: string, scope: CaseScope): Selection {
  const refs = (table: ExportTable, numeric = true): SQL[] => {
    const ids = scope.refs[table] ?? [];
    return ids.length ? [sql`t.id in ${numeric ? numericList(ids) : list(ids)}`] : [];
  };
  const ranges = (condition: (range: CaseScope['ranges'][number]) => SQL): SQL[] =>
    scope.ranges.map(condition);
  const at = (column: string) => (range: CaseScope['ranges'][number]) =>
    sql`(t.seat_id = ${range.seatId} and t.${sql.raw(column)} >= ${range.from.toISOString()}::timestamptz
         and t.${sql.raw(column)} <= ${range.to.toISOString()}::timestamptz)`;
  const mine = (condition: SQL) => sql`t.project_id = ${projectId} and ${condition}`;
  const eventRows = mine(anyOf([...refs('events'), ...ranges(at('time'))]));
  const screenshotRows = mine(anyOf([...refs('screenshots'), ...ranges(at('time'))]));
  // The frames that carried the bundle's events (a blob frame's capture event is one of them).
  const carried = sql`(select t.agent_id, t.seq from events t where ${eventRows})`;
  return {
    events: eventRows,
    activity_spans: mine(
      anyOf([
        ...refs('activity_spans'),
        ...ranges(
          (
            range,
          ) => sql`(t.seat_id = ${range.seatId} and t.started_at <= ${range.to.toISOString()}::timestamptz
                          and t.ended_at >= ${range.from.toISOString()}::timestamptz)`,
        ),
      ]),
    ),
    device_events: mine(anyOf([...refs('device_events'), ...ranges(at('time'))])),
    screenshots: screenshotRows,
    logins: mine(
      anyOf([
        ...refs('logins'),
        ...ranges(
          (range) => sql`(t.agent_id in (select a.id from agents a where a.seat_id = ${range.seatId})
                          and t.at >= ${range.from.toISOString()}::timestamptz
                          and t.at <= ${range.to.toISOString()}::timestamptz)`,
        ),
      ]),
    ),
    anomalies: mine(
      anyOf([
        ...refs('anomalies', false),
        ...ranges(
          (
            range,
          ) => sql`(t.seat_id = ${range.seatId} and t.last_at >= ${range.from.toISOString()}::timestamptz
                          and t.first_at <= ${range.to.toISOString()}::timestamptz)`,
        ),
      ]),
    ),
    signed_frames: mine(sql`(t.agent_id, t.seq) in ${carried}`),
    agents: mine(
      sql`(t.id in (select t.agent_id from events t where ${eventRows})
           or t.id in (select t.agent_id from screenshots t where ${screenshotRows}))`,
    ),
  };
}

/** Everything of one project. */
function projectSelection(projectId: string): Selection {
  const mine = sql`t.project_id = ${projectId}`;
  return {
    events: mine,
    activity_spans: mine,
    device_events: mine,
    screenshots: mine,
    logins: mine,
    anomalies: mine,
    agents: mine,
    signed_frames: mine,
  };
}

const selectionOf = (scope: ExportScope): Selection =>
  scope.case ? caseSelection(scope.projectId, scope.case) : projectSelection(scope.projectId);

const PAGE = 2000;

/** A page row: the id to page on, and the row as PostgreSQL renders it in JSON. */
const exportedRow = {
  id: String,
  r: (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>,
};

/** Rows as JSON objects, in id order, page by page. */
export async function* exportRows(
  ex: Executor,
  table: ExportTable,
  scope: ExportScope,
): AsyncIterable<Record<string, unknown>> {
  const where = selectionOf(scope)[table];
  let after: string | null = null;
  const columns = sql.raw(
    exportColumns(table)
      .map((c) => `t.${c}`)
      .join(', '),
  );
  for (;;) {
    const page: RowOf<typeof exportedRow>[] = await rowsOf(
      ex,
      sql`select x.id, row_to_json(x) as r from (
            select ${columns} from ${sql.raw(table)} t
            where ${where} and ${after === null ? sql`true` : sql`t.id > ${after}`}
            order by t.id limit ${PAGE}) x
          order by x.id`,
      exportedRow,
    );
    for (const row of page) yield row.r;
    if (page.length < PAGE) return;
    after = page.at(-1)!.id;
  }
}

const screenshotFile = {
  id: screenshots.id,
  sha256: screenshots.sha256,
  mime: screenshots.mime,
  time: screenshots.time,
};
export type ScreenshotFileRow = RowOf<typeof screenshotFile>;

/** The screenshots in scope, in time order. */
export function exportScreenshots(ex: Executor, scope: ExportScope): Promise<ScreenshotFileRow[]> {
  return rowsOf(
    ex,
    sql`select t.id, t.sha256, t.mime, t.time from screenshots t where ${selectionOf(scope).screenshots} order by t.time, t.id`,
    screenshotFile,
  );
}
