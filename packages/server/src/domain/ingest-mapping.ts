/**
 * From verified, schema-valid frames to the rows that store them. Pure:
 * the group committer writes what this returns.
 *
 * The sanitising rule (docs/server.md): every string in an event goes
 * through sanitizeText (NUL removed, lone surrogates replaced, cut to a
 * limit with "…") with the limit of its field name in MAX_STRING_LENGTHS,
 * or `message` for any other field; times are clamped to what a timestamp
 * column and a JavaScript Date can both hold. Nothing else is dropped, so
 * one bad string never costs the rest of the batch.
 */
import {
  type BlobPayload,
  type CaptureEvent,
  type Event,
  MAX_ID_LENGTH,
  MAX_STRING_LENGTHS,
  sanitizeText,
} from '@seatwatch/shared';

/** 9999-12-31T23:59:59.999Z: the end of what both PostgreSQL timestamps and Date spell the same. */
export const MAX_STORED_TIME_MS = 253_402_300_799_999;

const FIELD_LIMITS: Readonly<Record<string, number>> = {
  title: MAX_STRING_LENGTHS.title,
  app: MAX_STRING_LENGTHS.app,
  hostname: MAX_STRING_LENGTHS.hostname,
  osUser: MAX_STRING_LENGTHS.osUser,
  id: MAX_STRING_LENGTHS.deviceField,
  vendorId: MAX_STRING_LENGTHS.deviceField,
  productId: MAX_STRING_LENGTHS.deviceField,
  name: MAX_STRING_LENGTHS.deviceField,
  manufacturer: MAX_STRING_LENGTHS.deviceField,
  serial: MAX_STRING_LENGTHS.deviceField,
  deviceClass: MAX_STRING_LENGTHS.deviceField,
  message: MAX_STRING_LENGTHS.message,
  detail: MAX_STRING_LENGTHS.message,
  reason: MAX_STRING_LENGTHS.reason,
  localIps: MAX_STRING_LENGTHS.ip,
  gateway: MAX_STRING_LENGTHS.ip,
  mime: MAX_STRING_LENGTHS.mime,
  commandId: MAX_ID_LENGTH,
};
const TIME_FIELDS = new Set(['time', 'end']);

/**
 * Copy on write: a value comes back as the same object when nothing in it changed, which is
 * nearly always (clean text, times in range), so a clean event costs no allocation; the first
 * changed field copies its object, once. This runs for every event at ingest rate: a copy of
 * every object (keys added one by one) cost about as much as verifying the frame's signature.
 */
function sanitizeValue(value: unknown, field: string): unknown {
  if (typeof value === 'string')
    return sanitizeText(value, FIELD_LIMITS[field] ?? MAX_STRING_LENGTHS.message);
  if (typeof value === 'number') return TIME_FIELDS.has(field) ? Math.min(value, MAX_STORED_TIME_MS) : value;
  if (Array.isArray(value)) {
    let out: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const clean = sanitizeValue(value[i], field);
      if (clean !== value[i]) {
        out ??= value.slice();
        out[i] = clean;
      }
    }
    return out ?? value;
  }
  if (typeof value === 'object' && value !== null) {
    // A for-in over a JSON.parse result (plain own keys only).
    const source = value as Record<string, unknown>;
    let out: Record<string, unknown> | null = null;
    for (const key in source) {
      const clean = sanitizeValue(source[key], key);
      if (clean !== source[key]) {
        out ??= { ...source };
        out[key] = clean;
      }
    }
    return out ?? value;
  }
  return value;
}

/** Applies the sanitising rule to one schema-valid event. */
export function sanitizeEvent<T extends Event>(event: T): T {
  const clean = sanitizeValue(event, '') as T;
  // The only change that is not a field's own: a copy, since an unchanged event is the caller's object.
  if (clean.type === 'activity' && clean.end < clean.time) return { ...clean, end: clean.time };
  return clean;
}

/** Sanitises free text from a seat that is not inside an event (hello info, enrollment fields). */
export function sanitizeField(value: string, field: keyof typeof MAX_STRING_LENGTHS): string {
  return sanitizeText(value, MAX_STRING_LENGTHS[field]);
}

export interface AgentContext {
  agentId: string;
  projectId: string;
  seatId: string;
  siteId: string | null;
  teamId: string | null;
}

interface Owned {
  projectId: string;
  agentId: string;
  seatId: string;
  /** The OS account the row is attributed to (see attributeAccount); null when none is known. */
  osUser: string | null;
}

export interface EventRow extends Owned {
  seq: number;
  idx: number;
  type: Event['type'];
  time: number;
  body: Event;
  receivedAt: number;
}

export interface SpanRow extends Owned {
  startedAt: number;
  endedAt: number;
  app: string;
  title: string;
  seq: number;
}

export interface DeviceRow extends Owned {
  seq: number;
  idx: number;
  time: number;
  action: 'attached' | 'detached';
  deviceId: string;
  vendorId: string | null;
  productId: string | null;
  name: string;
  manufacturer: string | null;
  serial: string | null;
  deviceClass: string | null;
  massStorage: boolean;
}

export interface ScreenshotRow extends Owned {
  seq: number;
  time: number;
  sha256: string;
  size: number;
  mime: string;
  width: number;
  height: number;
  monitor: number;
  trigger: CaptureEvent['trigger'];
  commandId: string | null;
  receivedAt: number;
}

export interface CommandResultRow {
  agentId: string;
  commandId: string;
  ok: boolean;
  message: string;
  at: number;
}

export interface StateChange {
  state: 'active' | 'idle' | 'locked';
  at: number;
}

/** Everything one frame stores. */
export interface FrameRows {
  events: EventRow[];
  spans: SpanRow[];
  devices: DeviceRow[];
  screenshot: ScreenshotRow | null;
  commandResults: CommandResultRow[];
  /** The seat's latest state in this frame, if it reported one. */
  state: StateChange | null;
  /** data_dropped announcements in this frame. */
  drops: Array<{ fromSeq: number; toSeq: number }>;
  /** The highest notice version the operator acknowledged in this frame, if any. */
  noticeAcked: number | null;
  /** The OS account in force after this frame: the next frame of the agent starts from it. */
  osUserAfter: string | null;
}

/**
 * The OS account of an event (issue #14). Protocol v1's event objects are
 * closed, so no event can carry its own account; instead a `network` event
 * names the account of everything after it in the agent's sequence, until
 * the next one. A single-user agent sends one at start; the machine service
 * sends one whenever the next events come from another session than the
 * last (or from the machine itself), with the account it read from the
 * session's socket, never one the session claimed. Before any, the
 * account is the one the connection started with (the one the last stored
 * frame ended with, kept on the agent row, or the hello's).
 */
export function attributeAccount(current: string | null, event: Event): string | null {
  return event.type === 'network' ? event.osUser : current;
}

function mapEvents(
  ctx: AgentContext,
  seq: number,
  events: readonly Event[],
  receivedAt: number,
  account: string | null,
): FrameRows {
  let osUser = account;
  const rows: FrameRows = {
    events: [],
    spans: [],
    devices: [],
    screenshot: null,
    commandResults: [],
    state: null,
    drops: [],
    noticeAcked: null,
    osUserAfter: account,
  };
  // The rows are spelled out field by field, not spread from a shared owner object: in Node 20's V8
  // `{ ...owner, more }` costs about 0.6 µs per added property (4.5 µs a row against 0.03 µs for the
  // literal), which made this loop cost as much per frame as verifying the frame's signature.
  const { projectId, agentId, seatId } = ctx;
  events.forEach((raw, idx) => {
    const event = sanitizeEvent(raw);
    osUser = attributeAccount(osUser, event);
    rows.events.push({
      projectId,
      agentId,
      seatId,
      osUser,
      seq,
      idx,
      type: event.type,
      time: event.time,
      body: event,
      receivedAt,
    });
    switch (event.type) {
      case 'activity':
        rows.spans.push({
          projectId,
          agentId,
          seatId,
          osUser,
          startedAt: event.time,
          endedAt: event.end,
          app: event.app,
          title: event.title,
          seq,
        });
        break;
      case 'status':
        if (!rows.state || event.time >= rows.state.at) rows.state = { state: event.state, at: event.time };
        break;
      case 'device_attached':
      case 'device_detached':
        rows.devices.push({
          projectId,
          agentId,
          seatId,
          osUser,
          seq,
          idx,
          time: event.time,
          action: event.type === 'device_attached' ? 'attached' : 'detached',
          deviceId: event.device.id,
          vendorId: event.device.vendorId,
          productId: event.device.productId,
          name: event.device.name,
          manufacturer: event.device.manufacturer,
          serial: event.device.serial,
          deviceClass: event.device.deviceClass,
          massStorage: event.device.massStorage,
        });
        break;
      case 'command_result':
        rows.commandResults.push({
          agentId: ctx.agentId,
          commandId: event.commandId,
          ok: event.ok,
          message: event.message,
          at: event.time,
        });
        break;
      case 'data_dropped':
        rows.drops.push({ fromSeq: event.fromSeq, toSeq: event.toSeq });
        break;
      case 'notice_ack':
        rows.noticeAcked = Math.max(rows.noticeAcked ?? 0, event.noticeVersion);
        break;
      default:
        break;
    }
  });
  rows.osUserAfter = osUser;
  return rows;
}

export function mapBatch(
  ctx: AgentContext,
  seq: number,
  events: readonly Event[],
  receivedAt: number,
  account: string | null,
): FrameRows {
  return mapEvents(ctx, seq, events, receivedAt, account);
}

/** A blob frame stores its capture event (idx 0) and the screenshot's metadata. */
export function mapBlob(
  ctx: AgentContext,
  payload: BlobPayload,
  receivedAt: number,
  account: string | null,
): FrameRows {
  const rows = mapEvents(ctx, payload.seq, [payload.event], receivedAt, account);
  const capture = rows.events[0]!.body as CaptureEvent;
  rows.screenshot = {
    projectId: ctx.projectId,
    agentId: ctx.agentId,
    seatId: ctx.seatId,
    osUser: account,
    seq: payload.seq,
    time: capture.time,
    sha256: payload.sha256,
    size: payload.size,
    mime: payload.mime,
    width: capture.width,
    height: capture.height,
    monitor: capture.monitor,
    trigger: capture.trigger,
    commandId: capture.commandId,
    receivedAt,
  };
  return rows;
}

/**
 * One row per (agent, start, account) for a single upsert statement: the
 * same span reported twice in one group keeps the furthest end and the text
 * of the latest report. Two sessions of a shared computer may start a span
 * in the same millisecond; those stay two spans (issue #14).
 */
export function mergeSpans(rows: readonly SpanRow[]): SpanRow[] {
  const byKey = new Map<string, SpanRow>();
  for (const row of rows) {
    const key = `${row.agentId}\u0000${row.startedAt}\u0000${JSON.stringify(row.osUser)}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...row });
      continue;
    }
    const latest = row.seq >= seen.seq ? row : seen;
    byKey.set(key, {
      ...latest,
      endedAt: Math.max(seen.endedAt, row.endedAt),
      seq: Math.max(seen.seq, row.seq),
    });
  }
  return [...byKey.values()];
}

/** What a write moves forward on one agent's row (the ingest statement's update of agents). */
export interface AgentProgress {
  agentId: string;
  /** Highest seq stored by this write. */
  seq: number;
  /** When the server last heard from the agent (ms). */
  seenAt: number;
  state: { state: string; at: number } | null;
  /** The highest notice version acknowledged by this write, if any. */
  noticeAcked: number | null;
  /** The OS account in force after the highest frame of this write (FrameRows.osUserAfter). */
  osUser: string | null;
}

/** What each agent's row learns from a group of its frames (in seq order per agent): advanceAgents's input. */
export function agentProgress(
  frames: Iterable<{ agentId: string; seq: number; receivedAt: number; rows: FrameRows }>,
): AgentProgress[] {
  const progress = new Map<string, AgentProgress>();
  for (const frame of frames) {
    const seen = progress.get(frame.agentId) ?? {
      agentId: frame.agentId,
      seq: 0,
      seenAt: 0,
      state: null,
      noticeAcked: null,
      osUser: null,
    };
    if (frame.seq > seen.seq) seen.osUser = frame.rows.osUserAfter;
    seen.seq = Math.max(seen.seq, frame.seq);
    seen.seenAt = Math.max(seen.seenAt, frame.receivedAt);
    const state = frame.rows.state;
    if (state && (!seen.state || state.at >= seen.state.at)) seen.state = state;
    if (frame.rows.noticeAcked !== null)
      seen.noticeAcked = Math.max(seen.noticeAcked ?? 0, frame.rows.noticeAcked);
    progress.set(frame.agentId, seen);
  }
  return [...progress.values()];
}
