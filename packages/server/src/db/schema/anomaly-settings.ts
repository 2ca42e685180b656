/**
 * Per-project anomaly rule settings and per-team shift schedules (issue #5).
 * A project stores a row only for a rule it changed; the rest run on the
 * rule's defaults (domain/rules/rule-catalog.ts).
 */
import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns.js';
import { projects, teams } from './tenancy.js';

export const anomalyRuleSettings = pgTable(
  'anomaly_rule_settings',
  {
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    rule: text('rule').notNull(),
    enabled: boolean('enabled').notNull(),
    severity: text('severity').notNull(),
    /** The rule's own settings (thresholds, lists), validated against its schema on every write. */
    config: jsonb('config').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
    updatedBy: text('updated_by'),
  },
  (t) => [primaryKey({ name: 'anomaly_rule_settings_pk', columns: [t.projectId, t.rule] })],
);

export const anomalyShiftSchedules = pgTable(
  'anomaly_shift_schedules',
  {
    teamId: text('team_id')
      .primaryKey()
      .references(() => teams.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    /** IANA time zone; the weekly hours and exceptions are wall-clock times in it. */
    timeZone: text('time_zone').notNull(),
    weekly: jsonb('weekly').$type<{ day: number; start: string; end: string }[]>().notNull(),
    exceptions: jsonb('exceptions')
      .$type<{ date: string; intervals: { start: string; end: string }[]; note?: string }[]>()
      .notNull(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
    updatedBy: text('updated_by'),
  },
  (t) => [index('anomaly_shift_schedules_project_idx').on(t.projectId)],
);
