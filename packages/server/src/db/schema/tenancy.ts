/**
 * Tenancy: projects (tenants whose data never mixes), their sites, teams and
 * seats, and the policy (capture settings + monitoring notice) of a project
 * or one of its sites.
 */
import type { Policy } from '@seatwatch/shared';
import { boolean, index, integer, jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampColumn } from './columns.js';

export const projects = pgTable('projects', {
  id: idColumn(),
  name: text('name').notNull().unique(),
  createdAt: createdAtColumn(),
});

export const sites = pgTable(
  'sites',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: createdAtColumn(),
  },
  (t) => [unique('sites_project_name_uq').on(t.projectId, t.name)],
);

export const teams = pgTable(
  'teams',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    createdAt: createdAtColumn(),
  },
  (t) => [unique('teams_project_name_uq').on(t.projectId, t.name)],
);

export const seats = pgTable(
  'seats',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'set null' }),
    teamId: text('team_id').references(() => teams.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    /** Everything recorded on a held seat survives retention (a case or litigation needs it). */
    legalHold: boolean('legal_hold').notNull().default(false),
    createdAt: createdAtColumn(),
  },
  (t) => [unique('seats_project_name_uq').on(t.projectId, t.name), index('seats_site_idx').on(t.siteId)],
);

/**
 * One row per project (site_id null) and optionally one per site that
 * overrides it wholesale. `settings` holds the protocol's Policy object.
 */
export const policies = pgTable(
  'policies',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'cascade' }),
    settings: jsonb('settings').$type<Policy>().notNull(),
    noticeText: text('notice_text').notNull(),
    noticeVersion: integer('notice_version').notNull().default(1),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
  },
  (t) => [unique('policies_scope_uq').on(t.projectId, t.siteId).nullsNotDistinct()],
);
