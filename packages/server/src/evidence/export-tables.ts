/**
 * What a bundle holds from the database: for each kind of row, a JSON file
 * (the faithful copy: an array of objects as PostgreSQL renders the row)
 * and a CSV file (for spreadsheets), both streamed in pages by id, plus
 * the screenshot files themselves. A selection says which rows: a case's
 * items and time ranges, or a whole project.
 *
 * CSV: RFC 4180 quoting; a cell that starts with = + - @ gets a leading '
 * so a spreadsheet shows a window title instead of running it as a formula
 * (the JSON file keeps the exact text).
 */
import { type SQL, sql } from 'drizzle-orm';
import type { BlobStore } from '../blobs/blob-store.js';
import { type Executor, queryRows } from '../db/connect.js';
import { bigintList, valueList } from '../db/sql-lists.js';
import type { BundleEntry } from './bundle-writer.js';

export type ExportTable =
  | 'events'
  | 'activity_spans'
  | 'device_events'
  | 'screenshots'
  | 'logins'
  | 'anomalies';
export const EXPORT_TABLES: readonly ExportTable[] = [
  'activity_spans',
  'events',
  'device_events',
  'screenshots',
  'logins',
  'anomalies',
];

/** Columns in CSV order. */
const COLUMNS: Readonly<Record<ExportTable, readonly string[]>> = {
  events: ['id', 'project_id', 'agent_id', 'seat_id', 'seq', 'idx', 'type', 'time', 'received_at', 'body'],
  activity_spans: [
    'id',
    'project_id',
    'agent_id',
    'seat_id',
    'started_at',
    'ended_at',
    'app',
    'title',
    'seq',
  ],
  device_events: [
    'id',
    'project_id',
    'agent_id',
    'seat_id',
    'seq',
    'idx',
    'time',
    'action',
    'device_id',
    'vendor_id',
    'product_id',
    'name',
    'manufacturer',
    'serial',
    'device_class',
    'mass_storage',
  ],
  screenshots: [
    'id',
    'project_id',
    'agent_id',
    'seat_id',
    'seq',
    'time',
    'sha256',
    'size',
    'mime',
    'width',
    'height',
    'monitor',
    'trigger',
    'command_id',
    'received_at',
  ],
  logins: [
    'id',
    'at',
    'kind',
    'project_id',
    'agent_id',
    'claimed_agent',
    'seat_id',
    'ip',
    'peer_ip',
    'allowed',
    'reason',
    'clock_skew_ms',
    'session',
    'hostname',
    'os_user',
    'agent_version',
  ],
  anomalies: [
    'id',
    'project_id',
    'site_id',
    'team_id',
    'seat_id',
    'agent_id',
    'rule',
    'severity',
    'operator',
    'key',
    'first_at',
    'last_at',
    'count',
    'evidence',
    'status',
    'status_by',
    'status_at',
    'comment',
    'created_at',
  ],
};

/** Which rows of each table a bundle takes (a condition on alias t). */
export type Selection = Readonly<Record<ExportTable, SQL>>;

export interface CaseScope {
  refs: Readonly<Partial<Record<ExportTable, readonly string[]>>>;
  ranges: ReadonlyArray<{ seatId: string; from: Date; to: Date }>;
}

const list = valueList;
const numericList = bigintList;

function anyOf(parts: SQL[]): SQL {
  return parts.length ? sql`(${sql.join(parts, sql` or `)})` : sql`false`;
}

/** The rows a case names, and every row of its time ranges. */
export function caseSelection(projectId: string, scope: CaseScope): Selection {
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
  return {
    events: mine(anyOf([...refs('events'), ...ranges(at('time'))])),
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
    screenshots: mine(anyOf([...refs('screenshots'), ...ranges(at('time'))])),
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
  };
}

/** Everything of one project. */
export function projectSelection(projectId: string): Selection {
  const mine = sql`t.project_id = ${projectId}`;
  return {
    events: mine,
    activity_spans: mine,
    device_events: mine,
    screenshots: mine,
    logins: mine,
    anomalies: mine,
  };
}

const PAGE = 2000;

/** Rows as JSON objects, in id order, page by page. */
async function* rowsOf(ex: Executor, table: ExportTable, where: SQL): AsyncIterable<Record<string, unknown>> {
  let after: string | null = null;
  const columns = sql.raw(COLUMNS[table].map((c) => `t.${c}`).join(', '));
  for (;;) {
    const page: Array<{ id: string | number; r: Record<string, unknown> }> = await queryRows(
      ex,
      sql`select x.id, row_to_json(x) as r from (
            select ${columns} from ${sql.raw(table)} t
            where ${where} and ${after === null ? sql`true` : sql`t.id > ${after}`}
            order by t.id limit ${PAGE}) x
          order by x.id`,
    );
    for (const row of page) yield typeof row.r === 'string' ? JSON.parse(row.r) : row.r;
    if (page.length < PAGE) return;
    after = String(page.at(-1)!.id);
  }
}

export function csvCell(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

async function* jsonArray(rows: AsyncIterable<Record<string, unknown>>, counted: (n: number) => void) {
  let n = 0;
  yield '[';
  for await (const row of rows) {
    yield `${n === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
    n++;
  }
  yield n === 0 ? ']\n' : '\n]\n';
  counted(n);
}

async function* csvRows(table: ExportTable, rows: AsyncIterable<Record<string, unknown>>) {
  const columns = COLUMNS[table];
  yield csvLine(columns);
  for await (const row of rows) yield csvLine(columns.map((column) => row[column]));
}

export interface ScreenshotFile {
  id: string;
  sha256: string;
  mime: string;
  time: Date;
  path: string;
}

export async function selectedScreenshots(ex: Executor, selection: Selection): Promise<ScreenshotFile[]> {
  const rows = await queryRows<{ id: string | number; sha256: string; mime: string; time: Date | string }>(
    ex,
    sql`select t.id, t.sha256, t.mime, t.time from screenshots t where ${selection.screenshots} order by t.time, t.id`,
  );
  return rows.map((row) => {
    const time = new Date(row.time);
    const extension = row.mime === 'image/webp' ? 'webp' : row.mime === 'image/png' ? 'png' : 'jpg';
    const stamp = time.toISOString().replaceAll(':', '-');
    return {
      id: String(row.id),
      sha256: row.sha256,
      mime: row.mime,
      time,
      path: `screenshots/${stamp}_${row.id}.${extension}`,
    };
  });
}

/**
 * Entries for every table (JSON and CSV) and every screenshot file.
 * `counts` fills in as the JSON files stream (the manifest is written last).
 */
export function dataEntries(
  ex: Executor,
  blobs: BlobStore,
  selection: Selection,
  screenshots: readonly ScreenshotFile[],
  counts: Record<string, number>,
): BundleEntry[] {
  const entries: BundleEntry[] = [];
  for (const table of EXPORT_TABLES) {
    entries.push({
      path: `data/${table}.json`,
      content: () =>
        jsonArray(rowsOf(ex, table, selection[table]), (n) => {
          counts[table] = n;
        }),
    });
    entries.push({
      path: `data/${table}.csv`,
      content: () => csvRows(table, rowsOf(ex, table, selection[table])),
    });
  }
  counts.screenshotFiles = screenshots.length;
  for (const shot of screenshots) {
    entries.push({
      path: shot.path,
      content: async () => {
        const bytes = await blobs.get(shot.sha256);
        if (!bytes) throw new Error(`screenshot ${shot.id}: its bytes are not in the blob store`);
        return bytes;
      },
    });
  }
  return entries;
}
