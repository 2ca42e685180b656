/**
 * The write side of ingest: one call stores the rows of many frames (from
 * many agents) in ONE statement, one data-modifying CTE per table. One
 * statement is one implicit transaction and one round trip, where a
 * statement per table inside BEGIN ... COMMIT took five to seven: at
 * thousands of frames a second the round trips (each a write and a read on
 * the socket, each parsed by PostgreSQL) cost more than the rows.
 *
 * Rows travel column by column, one array parameter per column, expanded
 * by unnest (issue #15). The earlier form, one JSON document expanded by
 * jsonb_to_recordset, made PostgreSQL parse the whole document and then
 * look every column of every row up by its key; an array of a column's
 * values is read straight into that column's type (an event's body is
 * still parsed as jsonb, on its own). unnest also tells the planner how
 * many rows an array holds, where jsonb_to_recordset always claimed 100:
 * with that guess the agents update was a hash join over a sequential scan
 * of agents even for the two agents of a small group.
 *
 * The statement's text is the same whatever the rows (a table with no rows
 * gets empty arrays), so it runs as a named statement: PostgreSQL parses
 * and plans it once per connection instead of at every commit. Its generic
 * plan assumes a few rows per array, so the agents update is a nested loop
 * over agents' primary key whatever statistics agents has (none, where
 * autovacuum is off). There is no parameter-count limit to meet: a column
 * is one parameter however many rows it holds.
 */
import type { Executor } from '../db/connect.js';
import type { events } from '../db/schema/index.js';
import { executeStatement, type Statement } from '../db/statement.js';
import type {
  AgentProgress,
  CommandResultRow,
  DeviceRow,
  EventRow,
  ScreenshotRow,
  SpanRow,
} from '../domain/ingest-mapping.js';

type EventRecord = typeof events.$inferSelect;

/**
 * A row of the statement's final select (a screenshot's has idx 0). Raw SQL: the names are the
 * columns', and bigint columns arrive as the driver gives them (text from pg). Typed here rather
 * than decoded column by column: this runs for every stored event, and the loop below converts
 * the two bigints itself.
 */
interface StoredRow {
  k: 'e' | 's';
  id: EventRecord['id'] | string;
  agent_id: EventRecord['agentId'];
  seq: EventRecord['seq'] | string;
  idx: EventRecord['idx'];
}

/** A frame of a seat under legal hold, kept as it arrived (signed_frames). */
export interface SignedFrameRow {
  projectId: string;
  agentId: string;
  seatId: string;
  seq: number;
  kind: 'batch' | 'blob';
  envelope: string;
  receivedAt: number;
}

/** What one ingest write stores: rows of every frame of the group (spans already merged). */
export interface IngestRows {
  events: readonly EventRow[];
  spans: readonly SpanRow[];
  devices: readonly DeviceRow[];
  screenshots: readonly ScreenshotRow[];
  commandResults: readonly CommandResultRow[];
  progress: readonly AgentProgress[];
  /** Frames of held seats, verbatim; in the same statement, so a frame is kept exactly when its rows are. */
  signedFrames: readonly SignedFrameRow[];
}

export interface StoredIds {
  /** Event ids by `agentId/seq/idx`; absent when the row was already stored. */
  events: Map<string, number>;
  /** Screenshot ids by `agentId/seq`; absent when already stored. */
  screenshots: Map<string, number>;
}

/**
 * One column of a table's rows: its name, its PostgreSQL type, and its value in a row. A time travels
 * as ms since the epoch (type 'ms') and arrives as timestamptz.
 */
type Column<R> = readonly [name: string, type: string, value: (row: R) => unknown];

/**
 * The statement's parameters, in the order the text numbers them: each is
 * one column of one table's rows, taken from the write's rows and sent as
 * text.
 */
const parameters: Array<(rows: IngestRows) => string> = [];

/**
 * A PostgreSQL array literal of `value` over `rows`. Built here rather than by the driver: pg's own
 * runs two regular expressions over every element, which at ingest rate cost the server more than
 * the JSON document this replaced. One pass with no intermediate arrays, and the escaping replace
 * only for the rare string that holds a quote or a backslash: this runs for every column of every
 * stored row.
 */
function arrayLiteral<R>(rows: readonly R[], value: (row: R) => unknown): string {
  let literal = '{';
  for (let i = 0; i < rows.length; i++) {
    const element = value(rows[i]!);
    if (i > 0) literal += ',';
    if (element === null) literal += 'NULL';
    else if (typeof element !== 'string') literal += String(element);
    else if (NEEDS_ESCAPE.test(element)) literal += `"${element.replace(ESCAPED, '\\$&')}"`;
    else literal += `"${element}"`;
  }
  return `${literal}}`;
}
const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;

/** ms since the epoch -> timestamptz, exactly (no float rounding). */
const ts = (column: string) => `(timestamptz 'epoch' + ${column} * interval '1 millisecond')`;

/**
 * The rows `pick` takes, as a FROM item `x` with a column per Column: `rows from (unnest($n::type[]),
 * ...)`, one array parameter per column. A jsonb column is one JSON array instead (JSON.stringify
 * writes it in one go, and PostgreSQL parses each event's body once either way).
 */
function fromRows<R>(pick: (rows: IngestRows) => readonly R[], columns: readonly Column<R>[]): string {
  const functions = columns.map(([, type, value]) => {
    if (type === 'jsonb') {
      parameters.push((rows) => JSON.stringify(pick(rows).map(value)));
      return `jsonb_array_elements($${parameters.length}::jsonb)`;
    }
    parameters.push((rows) => arrayLiteral(pick(rows), value));
    return `unnest($${parameters.length}::${type === 'ms' ? 'bigint' : type}[])`;
  });
  const names = columns.map(([name]) => name);
  const selected = columns.map(([name, type]) => (type === 'ms' ? `${ts(name)} as ${name}` : name));
  return `(select ${selected.join(', ')} from rows from (${functions.join(', ')}) as r(${names.join(', ')})) as x`;
}

/**
 * Inserts the rows `pick` takes into the columns of the same names, only those of an agent the
 * statement's update of agents found (see OF_ADVANCED_AGENT), then `onConflict`.
 */
function insertRows<R>(
  into: string,
  pick: (rows: IngestRows) => readonly R[],
  columns: readonly Column<R>[],
  onConflict: string,
): string {
  const names = columns.map(([name]) => name).join(', ');
  return `
    insert into ${into} (${names})
    select ${names} from ${fromRows(pick, columns)}
    where ${OF_ADVANCED_AGENT}
    ${onConflict}`;
}

/** The owner columns every telemetry row carries. */
const owner = <R extends { projectId: string; agentId: string; seatId: string }>(): Column<R>[] => [
  ['project_id', 'text', (r) => r.projectId],
  ['agent_id', 'text', (r) => r.agentId],
  ['seat_id', 'text', (r) => r.seatId],
];
const osUser = <R extends { osUser: string | null }>(): Column<R> => ['os_user', 'text', (r) => r.osUser];

/**
 * Moves each agent's stored seq, last-seen time, seat state, acknowledged
 * notice version and OS account forward (never back; the account only with a
 * higher seq, so the next hello starts from the latest frame's). The notice version also arrives with
 * each hello, but a first run's hello precedes the notice (the agent shows it
 * from the welcome's policy), so the acknowledgement itself must move it.
 */
const advanceAgents = `
  update agents a set
    acked_seq = greatest(a.acked_seq, x.seq),
    last_seen_at = greatest(a.last_seen_at, x.seen),
    state = case when x.state is not null and (a.state_at is null or x.state_at >= a.state_at)
                 then x.state else a.state end,
    state_at = case when x.state is not null and (a.state_at is null or x.state_at >= a.state_at)
                    then x.state_at else a.state_at end,
    notice_version = greatest(a.notice_version, x.notice),
    latest_os_user = case when x.seq > a.acked_seq then x.os_user else a.latest_os_user end
  from ${fromRows<AgentProgress>(
    (rows) => rows.progress,
    [
      ['agent_id', 'text', (p) => p.agentId],
      ['seq', 'bigint', (p) => p.seq],
      ['seen', 'ms', (p) => p.seenAt],
      ['state', 'text', (p) => p.state?.state ?? null],
      ['state_at', 'ms', (p) => p.state?.at ?? null],
      ['notice', 'integer', (p) => p.noticeAcked],
      ['os_user', 'text', (p) => p.osUser],
    ],
  )}
  where a.id = x.agent_id
  returning a.id`;

/**
 * Keeps only the rows of agents the update above found (issue #15). The
 * telemetry tables have no foreign key to agents any more (migration 0022: its
 * check was a query per inserted row); this gives what it gave, for a whole
 * statement at once. The update locks each agent's row until the commit, so
 * an agent deleted meanwhile (offboarding) either waits for these rows, which
 * its deletion then finds, or is already gone, and then none of its rows is
 * stored. Wrapped in IS TRUE so that PostgreSQL does not turn it into a join,
 * which it may plan as a nested loop over the CTE; as a filter it is one hash
 * of the group's agents, probed once per row.
 */
const OF_ADVANCED_AGENT = '(x.agent_id in (select id from advanced_agents)) is true';

const insertEvents = insertRows<EventRow>(
  'events',
  (rows) => rows.events,
  [
    ...owner<EventRow>(),
    ['seq', 'bigint', (r) => r.seq],
    ['idx', 'integer', (r) => r.idx],
    ['type', 'text', (r) => r.type],
    ['time', 'ms', (r) => r.time],
    ['body', 'jsonb', (r) => r.body],
    ['received_at', 'ms', (r) => r.receivedAt],
    osUser<EventRow>(),
  ],
  'on conflict (agent_id, seq, idx, time) do nothing returning id, agent_id, seq, idx',
);

/** Spans must already be merged (one row per agent, start and account); the end only moves forward. */
const upsertSpans = insertRows<SpanRow>(
  'activity_spans as s',
  (rows) => rows.spans,
  [
    ...owner<SpanRow>(),
    ['started_at', 'ms', (r) => r.startedAt],
    ['ended_at', 'ms', (r) => r.endedAt],
    ['app', 'text', (r) => r.app],
    ['title', 'text', (r) => r.title],
    ['seq', 'bigint', (r) => r.seq],
    osUser<SpanRow>(),
  ],
  `on conflict (agent_id, started_at, os_user) do update set
     ended_at = greatest(s.ended_at, excluded.ended_at),
     app = case when excluded.seq >= s.seq then excluded.app else s.app end,
     title = case when excluded.seq >= s.seq then excluded.title else s.title end,
     seq = greatest(s.seq, excluded.seq)`,
);

const insertDeviceEvents = insertRows<DeviceRow>(
  'device_events',
  (rows) => rows.devices,
  [
    ...owner<DeviceRow>(),
    ['seq', 'bigint', (r) => r.seq],
    ['idx', 'integer', (r) => r.idx],
    ['time', 'ms', (r) => r.time],
    ['action', 'text', (r) => r.action],
    ['device_id', 'text', (r) => r.deviceId],
    ['vendor_id', 'text', (r) => r.vendorId],
    ['product_id', 'text', (r) => r.productId],
    ['name', 'text', (r) => r.name],
    ['manufacturer', 'text', (r) => r.manufacturer],
    ['serial', 'text', (r) => r.serial],
    ['device_class', 'text', (r) => r.deviceClass],
    ['mass_storage', 'boolean', (r) => r.massStorage],
    osUser<DeviceRow>(),
  ],
  'on conflict (agent_id, seq, idx, time) do nothing',
);

const insertScreenshots = insertRows<ScreenshotRow>(
  'screenshots',
  (rows) => rows.screenshots,
  [
    ...owner<ScreenshotRow>(),
    ['seq', 'bigint', (r) => r.seq],
    ['time', 'ms', (r) => r.time],
    ['sha256', 'text', (r) => r.sha256],
    ['size', 'integer', (r) => r.size],
    ['mime', 'text', (r) => r.mime],
    ['width', 'integer', (r) => r.width],
    ['height', 'integer', (r) => r.height],
    ['monitor', 'integer', (r) => r.monitor],
    ['trigger', 'text', (r) => r.trigger],
    ['command_id', 'text', (r) => r.commandId],
    ['received_at', 'ms', (r) => r.receivedAt],
    osUser<ScreenshotRow>(),
  ],
  'on conflict (agent_id, seq, time) do nothing returning id, agent_id, seq',
);

/** Command outcomes reported by agents; a result naming another agent's command changes nothing. */
const applyCommandResults = `
  update agent_commands c set
    status = case when x.ok then 'succeeded' else 'failed' end,
    result_at = x.at,
    result_message = x.message
  from ${fromRows<CommandResultRow>(
    (rows) => rows.commandResults,
    [
      ['agent_id', 'text', (r) => r.agentId],
      ['command_id', 'text', (r) => r.commandId],
      ['ok', 'boolean', (r) => r.ok],
      ['message', 'text', (r) => r.message],
      ['at', 'ms', (r) => r.at],
    ],
  )}
  where c.id = x.command_id and c.agent_id = x.agent_id`;

const insertSignedFrames = insertRows<SignedFrameRow>(
  'signed_frames',
  (rows) => rows.signedFrames,
  [
    ...owner<SignedFrameRow>(),
    ['seq', 'bigint', (r) => r.seq],
    ['kind', 'text', (r) => r.kind],
    ['envelope', 'text', (r) => r.envelope],
    ['received_at', 'ms', (r) => r.receivedAt],
  ],
  'on conflict (agent_id, seq) do nothing',
);

/**
 * Data-modifying CTEs run exactly once whether or not the final select reads
 * them, all against one snapshot: the tables are distinct and each row is
 * touched once (spans are merged and agents grouped by the caller), so
 * nothing in the statement depends on another part's effect.
 */
const INGEST_STATEMENT: Statement = {
  name: 'seatwatch_ingest_rows',
  text: `
  with advanced_agents as (${advanceAgents}),
       stored_events as (${insertEvents}),
       stored_screenshots as (${insertScreenshots}),
       stored_spans as (${upsertSpans}),
       stored_devices as (${insertDeviceEvents}),
       command_results as (${applyCommandResults}),
       kept_frames as (${insertSignedFrames})
  select 'e' as k, id, agent_id, seq, idx from stored_events
  union all
  select 's' as k, id, agent_id, seq, 0 as idx from stored_screenshots`,
};

/** Stores every row in one statement. */
export async function storeIngestRows(ex: Executor, rows: IngestRows): Promise<StoredIds> {
  const ids: StoredIds = { events: new Map(), screenshots: new Map() };
  // Sorted so that two processes updating overlapping agents lock rows in the same order.
  const progress = [...rows.progress].sort((a, b) =>
    a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0,
  );
  const sorted = { ...rows, progress };
  if (Object.values(sorted).every((table) => table.length === 0)) return ids;
  const values = parameters.map((column) => column(sorted));
  const stored = await executeStatement<StoredRow>(ex, INGEST_STATEMENT, values);
  for (const row of stored) {
    if (row.k === 'e') ids.events.set(`${row.agent_id}/${Number(row.seq)}/${row.idx}`, Number(row.id));
    else ids.screenshots.set(`${row.agent_id}/${Number(row.seq)}`, Number(row.id));
  }
  return ids;
}
