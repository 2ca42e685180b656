/**
 * Anomalies (the rules that raise them come with the anomaly issue). One
 * OPEN row per (project, agent, rule, key) accumulates occurrences, so a
 * storm of the same event makes one row; see upsertAnomaliesStatement().
 */
import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { agents } from './agents.js';
import { createdAtColumn, idColumn, timestampColumn } from './columns.js';
import { projects, seats, sites, teams } from './tenancy.js';

export type AnomalySeverity = 'low' | 'warning' | 'medium' | 'high' | 'critical';
export type AnomalyStatus = 'open' | 'acknowledged' | 'resolved' | 'false_positive';

/** A pointer to what shows the anomaly: an event, a screenshot, a login record. */
export interface EvidenceRef {
  kind: 'event' | 'screenshot' | 'login' | 'frame';
  id?: number | string;
  seq?: number;
  at?: number;
  [detail: string]: unknown;
}

export const anomalies = pgTable(
  'anomalies',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'set null' }),
    teamId: text('team_id').references(() => teams.id, { onDelete: 'set null' }),
    seatId: text('seat_id').references(() => seats.id, { onDelete: 'set null' }),
    /** Null only for what happens before an agent exists (a refused enrollment). */
    agentId: text('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    rule: text('rule').notNull(),
    severity: text('severity').$type<AnomalySeverity>().notNull(),
    /** The OS user at the seat when it happened. */
    operator: text('operator'),
    /** Deduplication key within (agent, rule), e.g. the refused IP. */
    key: text('key').notNull().default(''),
    firstAt: timestampColumn('first_at').notNull(),
    lastAt: timestampColumn('last_at').notNull(),
    count: integer('count').notNull().default(1),
    evidence: jsonb('evidence').$type<EvidenceRef[]>().notNull().default(sql`'[]'::jsonb`),
    status: text('status').$type<AnomalyStatus>().notNull().default('open'),
    statusBy: text('status_by'),
    statusAt: timestampColumn('status_at'),
    comment: text('comment'),
    createdAt: createdAtColumn(),
  },
  (t) => [
    uniqueIndex('anomalies_one_open_uq')
      .on(t.projectId, sql`coalesce(${t.agentId}, '')`, t.rule, t.key)
      .where(sql`status = 'open'`),
    index('anomalies_project_status_last_idx').on(t.projectId, t.status, t.lastAt),
    index('anomalies_agent_idx').on(t.agentId),
  ],
);
