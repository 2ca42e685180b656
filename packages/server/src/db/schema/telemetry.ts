/**
 * What agents report: every event as received (sanitised), plus the
 * projections the dashboard reads (activity spans, device events,
 * screenshot metadata; screenshot bytes live in the blob store).
 * Every row carries project, agent and seat so that queries and retention
 * never need a join to know whose data it is.
 *
 * These four tables are partitioned by the row's own time, one partition a
 * UTC day plus a DEFAULT one (migration 0015, issue #15; made ahead by
 * partitions/, dropped whole by retention/). A partitioned table's keys
 * must hold its partition key, so each primary key is (id, time) and each
 * dedup key ends with the time the frame itself carries: a resent frame
 * carries the same one, so it still conflicts. Drizzle does not create
 * these tables (the migration does); the declarations here type the rows.
 */
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns.js';

// No foreign key (migration 0022, issue #15): its check was a query per row on the hot ingest path. The
// agent fixes project and seat; ingest stores rows only for an agent whose row exists (ingest.repository.ts),
// and offboarding, the one thing that deletes agents, deletes their rows itself.
/** The identity keeps ids unique on its own; the primary key also names the partition key (see above). */
const partitionedId = () => bigint('id', { mode: 'number' }).notNull().generatedAlwaysAsIdentity();

const owner = () => ({
  projectId: text('project_id').notNull(),
  agentId: text('agent_id').notNull(),
  seatId: text('seat_id').notNull(),
});

/** One row per event of a batch (and the capture event of a blob): (agent, seq, idx) is unique. */
export const events = pgTable(
  'events',
  {
    id: partitionedId(),
    ...owner(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    /** Position of the event in its frame. */
    idx: integer('idx').notNull(),
    type: text('type').notNull(),
    /** The event's own time (agent clock). */
    time: timestampColumn('time').notNull(),
    /** The event as received, after the sanitising rule (docs/server.md). */
    body: jsonb('body').$type<Record<string, unknown>>().notNull(),
    receivedAt: timestampColumn('received_at').notNull(),
    /** The OS account whose session the row came from (issue #14); null for rows from before it. */
    osUser: text('os_user'),
    legalHold: boolean('legal_hold').notNull().default(false),
  },
  (t) => [
    primaryKey({ name: 'events_pkey', columns: [t.id, t.time] }),
    unique('events_agent_seq_idx_uq').on(t.agentId, t.seq, t.idx, t.time),
    index('events_seat_time_idx').on(t.seatId, t.time),
    index('events_project_time_idx').on(t.projectId, t.time),
  ],
);

/**
 * Foreground activity. An agent may report the same span again as it grows,
 * so a span is keyed by (agent, start) and its end only moves forward.
 */
export const activitySpans = pgTable(
  'activity_spans',
  {
    id: partitionedId(),
    ...owner(),
    startedAt: timestampColumn('started_at').notNull(),
    endedAt: timestampColumn('ended_at').notNull(),
    app: text('app').notNull(),
    title: text('title').notNull(),
    /** seq of the frame that last extended the span. */
    seq: bigint('seq', { mode: 'number' }).notNull(),
    /** The OS account whose session the row came from (issue #14); null for rows from before it. */
    osUser: text('os_user'),
    legalHold: boolean('legal_hold').notNull().default(false),
  },
  (t) => [
    // One account's span (issue #14): two sessions of a shared computer may start one in the same ms.
    primaryKey({ name: 'activity_spans_pkey', columns: [t.id, t.startedAt] }),
    unique('activity_spans_agent_start_uq').on(t.agentId, t.startedAt, t.osUser).nullsNotDistinct(),
    index('activity_spans_seat_start_idx').on(t.seatId, t.startedAt),
    index('activity_spans_project_start_idx').on(t.projectId, t.startedAt),
  ],
);

export type DeviceAction = 'attached' | 'detached';

export const deviceEvents = pgTable(
  'device_events',
  {
    id: partitionedId(),
    ...owner(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    idx: integer('idx').notNull(),
    time: timestampColumn('time').notNull(),
    action: text('action').$type<DeviceAction>().notNull(),
    deviceId: text('device_id').notNull(),
    vendorId: text('vendor_id'),
    productId: text('product_id'),
    name: text('name').notNull(),
    manufacturer: text('manufacturer'),
    serial: text('serial'),
    deviceClass: text('device_class'),
    massStorage: boolean('mass_storage').notNull(),
    /** The OS account whose session the row came from (issue #14); null for rows from before it. */
    osUser: text('os_user'),
    legalHold: boolean('legal_hold').notNull().default(false),
  },
  (t) => [
    primaryKey({ name: 'device_events_pkey', columns: [t.id, t.time] }),
    unique('device_events_agent_seq_idx_uq').on(t.agentId, t.seq, t.idx, t.time),
    index('device_events_seat_time_idx').on(t.seatId, t.time),
    index('device_events_project_time_idx').on(t.projectId, t.time),
  ],
);

/** Screenshot metadata; bytes (and the thumbnail's) are in the blob store under their SHA-256. */
export const screenshots = pgTable(
  'screenshots',
  {
    id: partitionedId(),
    ...owner(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    time: timestampColumn('time').notNull(),
    sha256: text('sha256').notNull(),
    size: integer('size').notNull(),
    mime: text('mime').notNull(),
    width: integer('width').notNull(),
    height: integer('height').notNull(),
    monitor: integer('monitor').notNull(),
    trigger: text('trigger').notNull(),
    commandId: text('command_id'),
    /** Null when the image could not be decoded for a thumbnail (the original is still kept). */
    thumbSha256: text('thumb_sha256'),
    receivedAt: timestampColumn('received_at').notNull(),
    /** The OS account whose session the row came from (issue #14); null for rows from before it. */
    osUser: text('os_user'),
    legalHold: boolean('legal_hold').notNull().default(false),
  },
  (t) => [
    primaryKey({ name: 'screenshots_pkey', columns: [t.id, t.time] }),
    unique('screenshots_agent_seq_uq').on(t.agentId, t.seq, t.time),
    index('screenshots_seat_time_idx').on(t.seatId, t.time),
    index('screenshots_project_time_idx').on(t.projectId, t.time),
    index('screenshots_sha256_idx').on(t.sha256),
    index('screenshots_thumb_sha256_idx').on(t.thumbSha256),
  ],
);
