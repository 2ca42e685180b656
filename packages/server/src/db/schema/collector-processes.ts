/**
 * The collector processes alive on this database (issue #15): each registers
 * at start, beats every few seconds and removes its row when it shuts down
 * cleanly. A row whose heartbeat is stale belongs to a process killed
 * outright; any live process then marks the agents it held disconnected
 * (`agents.collector_id` names the holder) and removes the row
 * (collectors-registry/).
 */
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns.js';

export const collectorProcesses = pgTable('collector_processes', {
  /** Random per process start: a restarted process is a new one. */
  id: text('id').primaryKey(),
  host: text('host').notNull(),
  pid: integer('pid').notNull(),
  /** By the database's clock, as is the heartbeat (one clock for every process). */
  startedAt: timestampColumn('started_at').notNull(),
  heartbeatAt: timestampColumn('heartbeat_at').notNull(),
});
