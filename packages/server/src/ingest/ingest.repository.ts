/**
 * The write side of ingest: one call stores the rows of many frames (from
 * many agents) in ONE statement. Each table gets a data-modifying CTE whose
 * rows travel as a single JSON parameter expanded with jsonb_to_recordset:
 * there is no parameter-count limit, and pg and PGlite handle it the same
 * way. One statement is one implicit transaction and one round trip, where
 * a statement per table inside BEGIN ... COMMIT took five to seven: at
 * thousands of frames a second the round trips (each a write and a read on
 * the socket, each parsed by PostgreSQL) cost more than the rows.
 */
import { type SQL, sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../db/connect.js';
import type { events } from '../db/schema/index.js';
import type {
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

/** ms since the epoch -> timestamptz, exactly (no float rounding). */
const ts = (column: string) => sql.raw(`(timestamptz 'epoch' + ${column} * interval '1 millisecond')`);
const json = (rows: unknown[]): SQL => sql`${JSON.stringify(rows)}::jsonb`;

export interface AgentProgress {
  agentId: string;
  /** Highest seq stored by this write. */
  seq: number;
  /** When the server last heard from the agent (ms). */
  seenAt: number;
  state: { state: string; at: number } | null;
  /** The highest notice version acknowledged by this write, if any. */
  noticeAcked: number | null;
}

function insertEvents(rows: readonly EventRow[]): SQL {
  return sql`
      insert into events (project_id, agent_id, seat_id, seq, idx, type, time, body, received_at, os_user)
      select project_id, agent_id, seat_id, seq, idx, type, ${ts('time')}, body, ${ts('received_at')}, os_user
      from jsonb_to_recordset(${json(
        rows.map((r) => ({
          project_id: r.projectId,
          agent_id: r.agentId,
          seat_id: r.seatId,
          seq: r.seq,
          idx: r.idx,
          type: r.type,
          time: r.time,
          body: r.body,
          received_at: r.receivedAt,
          os_user: r.osUser,
        })),
      )}) as x(project_id text, agent_id text, seat_id text, seq bigint, idx int, type text,
               time bigint, body jsonb, received_at bigint, os_user text)
      on conflict (agent_id, seq, idx, time) do nothing
      returning id, agent_id, seq, idx`;
}

/** Spans must already be merged (one row per agent, start and account); the end only moves forward. */
function upsertSpans(rows: readonly SpanRow[]): SQL {
  return sql`
    insert into activity_spans as s (project_id, agent_id, seat_id, started_at, ended_at, app, title, seq, os_user)
    select project_id, agent_id, seat_id, ${ts('started_at')}, ${ts('ended_at')}, app, title, seq, os_user
    from jsonb_to_recordset(${json(
      rows.map((r) => ({
        project_id: r.projectId,
        agent_id: r.agentId,
        seat_id: r.seatId,
        started_at: r.startedAt,
        ended_at: r.endedAt,
        app: r.app,
        title: r.title,
        seq: r.seq,
        os_user: r.osUser,
      })),
    )}) as x(project_id text, agent_id text, seat_id text, started_at bigint, ended_at bigint,
             app text, title text, seq bigint, os_user text)
    on conflict (agent_id, started_at, os_user) do update set
      ended_at = greatest(s.ended_at, excluded.ended_at),
      app = case when excluded.seq >= s.seq then excluded.app else s.app end,
      title = case when excluded.seq >= s.seq then excluded.title else s.title end,
      seq = greatest(s.seq, excluded.seq)`;
}

function insertDeviceEvents(rows: readonly DeviceRow[]): SQL {
  return sql`
    insert into device_events (project_id, agent_id, seat_id, seq, idx, time, action, device_id, vendor_id,
                               product_id, name, manufacturer, serial, device_class, mass_storage, os_user)
    select project_id, agent_id, seat_id, seq, idx, ${ts('time')}, action, device_id, vendor_id,
           product_id, name, manufacturer, serial, device_class, mass_storage, os_user
    from jsonb_to_recordset(${json(
      rows.map((r) => ({
        project_id: r.projectId,
        agent_id: r.agentId,
        seat_id: r.seatId,
        seq: r.seq,
        idx: r.idx,
        time: r.time,
        action: r.action,
        device_id: r.deviceId,
        vendor_id: r.vendorId,
        product_id: r.productId,
        name: r.name,
        manufacturer: r.manufacturer,
        serial: r.serial,
        device_class: r.deviceClass,
        mass_storage: r.massStorage,
        os_user: r.osUser,
      })),
    )}) as x(project_id text, agent_id text, seat_id text, seq bigint, idx int, time bigint, action text,
             device_id text, vendor_id text, product_id text, name text, manufacturer text, serial text,
             device_class text, mass_storage boolean, os_user text)
    on conflict (agent_id, seq, idx, time) do nothing`;
}

function insertScreenshots(rows: readonly ScreenshotRow[]): SQL {
  return sql`
      insert into screenshots (project_id, agent_id, seat_id, seq, time, sha256, size, mime, width, height,
                               monitor, trigger, command_id, thumb_sha256, received_at, os_user)
      select project_id, agent_id, seat_id, seq, ${ts('time')}, sha256, size, mime, width, height,
             monitor, trigger, command_id, thumb_sha256, ${ts('received_at')}, os_user
      from jsonb_to_recordset(${json(
        rows.map((r) => ({
          project_id: r.projectId,
          agent_id: r.agentId,
          seat_id: r.seatId,
          seq: r.seq,
          time: r.time,
          sha256: r.sha256,
          size: r.size,
          mime: r.mime,
          width: r.width,
          height: r.height,
          monitor: r.monitor,
          trigger: r.trigger,
          command_id: r.commandId,
          thumb_sha256: r.thumbSha256,
          received_at: r.receivedAt,
          os_user: r.osUser,
        })),
      )}) as x(project_id text, agent_id text, seat_id text, seq bigint, time bigint, sha256 text, size int,
               mime text, width int, height int, monitor int, trigger text, command_id text,
               thumb_sha256 text, received_at bigint, os_user text)
      on conflict (agent_id, seq, time) do nothing
      returning id, agent_id, seq`;
}

/**
 * Moves each agent's stored seq, last-seen time, seat state and acknowledged
 * notice version forward (never back). The notice version also arrives with
 * each hello, but a first run's hello precedes the notice (the agent shows it
 * from the welcome's policy), so the acknowledgement itself must move it.
 */
function advanceAgents(progress: readonly AgentProgress[]): SQL {
  // Sorted so that two processes updating overlapping agents lock rows in the same order.
  const rows = [...progress]
    .sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0))
    .map((p) => ({
      agent_id: p.agentId,
      seq: p.seq,
      seen: p.seenAt,
      state: p.state?.state ?? null,
      state_at: p.state?.at ?? null,
      notice: p.noticeAcked,
    }));
  return sql`
    update agents a set
      acked_seq = greatest(a.acked_seq, x.seq),
      last_seen_at = greatest(a.last_seen_at, ${ts('x.seen')}),
      state = case when x.state is not null and (a.state_at is null or ${ts('x.state_at')} >= a.state_at)
                   then x.state else a.state end,
      state_at = case when x.state is not null and (a.state_at is null or ${ts('x.state_at')} >= a.state_at)
                      then ${ts('x.state_at')} else a.state_at end,
      notice_version = greatest(a.notice_version, x.notice)
    from jsonb_to_recordset(${json(rows)})
      as x(agent_id text, seq bigint, seen bigint, state text, state_at bigint, notice integer)
    where a.id = x.agent_id`;
}

/** Command outcomes reported by agents; a result naming another agent's command changes nothing. */
function applyCommandResults(rows: readonly CommandResultRow[]): SQL {
  return sql`
    update agent_commands c set
      status = case when x.ok then 'succeeded' else 'failed' end,
      result_at = ${ts('x.at')},
      result_message = x.message
    from jsonb_to_recordset(${json(
      rows.map((r) => ({
        agent_id: r.agentId,
        command_id: r.commandId,
        ok: r.ok,
        message: r.message,
        at: r.at,
      })),
    )}) as x(agent_id text, command_id text, ok boolean, message text, at bigint)
    where c.id = x.command_id and c.agent_id = x.agent_id`;
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

function insertSignedFrames(rows: readonly SignedFrameRow[]): SQL {
  return sql`
    insert into signed_frames (project_id, agent_id, seat_id, seq, kind, envelope, received_at)
    select project_id, agent_id, seat_id, seq, kind, envelope, ${ts('received_at')}
    from jsonb_to_recordset(${json(
      rows.map((r) => ({
        project_id: r.projectId,
        agent_id: r.agentId,
        seat_id: r.seatId,
        seq: r.seq,
        kind: r.kind,
        envelope: r.envelope,
        received_at: r.receivedAt,
      })),
    )}) as x(project_id text, agent_id text, seat_id text, seq bigint, kind text, envelope text,
             received_at bigint)
    on conflict (agent_id, seq) do nothing`;
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
 * Stores every row in one statement. Data-modifying CTEs run exactly once
 * whether or not the final select reads them, all against one snapshot: the
 * tables are distinct and each row is touched once (spans are merged and
 * agents grouped by the caller), so nothing in the statement depends on
 * another part's effect.
 */
export async function storeIngestRows(ex: Executor, rows: IngestRows): Promise<StoredIds> {
  const parts: SQL[] = [];
  const cte = (name: string, body: SQL) => parts.push(sql`${sql.raw(name)} as (${body})`);
  if (rows.events.length > 0) cte('stored_events', insertEvents(rows.events));
  if (rows.screenshots.length > 0) cte('stored_screenshots', insertScreenshots(rows.screenshots));
  if (rows.spans.length > 0) cte('stored_spans', upsertSpans(rows.spans));
  if (rows.devices.length > 0) cte('stored_devices', insertDeviceEvents(rows.devices));
  if (rows.commandResults.length > 0) cte('command_results', applyCommandResults(rows.commandResults));
  if (rows.progress.length > 0) cte('advanced_agents', advanceAgents(rows.progress));
  if (rows.signedFrames.length > 0) cte('kept_frames', insertSignedFrames(rows.signedFrames));
  const ids: StoredIds = { events: new Map(), screenshots: new Map() };
  if (parts.length === 0) return ids;

  const returned = [
    ...(rows.events.length > 0 ? [sql`select 'e' as k, id, agent_id, seq, idx from stored_events`] : []),
    ...(rows.screenshots.length > 0
      ? [sql`select 's' as k, id, agent_id, seq, 0 as idx from stored_screenshots`]
      : []),
  ];
  const stored = await queryRows<StoredRow>(
    ex,
    sql`with ${sql.join(parts, sql`, `)} ${
      returned.length > 0 ? sql.join(returned, sql` union all `) : sql`select null as k where false`
    }`,
  );
  for (const row of stored) {
    if (row.k === 'e') ids.events.set(`${row.agent_id}/${Number(row.seq)}/${row.idx}`, Number(row.id));
    else ids.screenshots.set(`${row.agent_id}/${Number(row.seq)}`, Number(row.id));
  }
  return ids;
}
