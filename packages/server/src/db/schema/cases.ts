/**
 * Investigation cases: opened from an anomaly or by hand, with an
 * assignee, a status, notes and attached items (events, screenshots,
 * anomalies, activity spans, device events, logins, time ranges of a
 * seat). A legal hold on a case flags every row its items cover
 * (legal_hold columns in telemetry.ts), so retention keeps them until the
 * hold is released (src/cases/legal-hold.ts).
 */
import { boolean, index, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { users } from './accounts.js';
import { createdAtColumn, idColumn, timestampColumn } from './columns.js';
import { projects, seats } from './tenancy.js';

export type CaseStatus = 'open' | 'in_progress' | 'closed';
export type CaseItemKind =
  | 'event'
  | 'activity_span'
  | 'device_event'
  | 'screenshot'
  | 'anomaly'
  | 'login'
  | 'time_range';

export const cases = pgTable(
  'cases',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    status: text('status').$type<CaseStatus>().notNull().default('open'),
    assigneeId: text('assignee_id').references(() => users.id, { onDelete: 'set null' }),
    /** The anomaly the case was opened from (kept as an item too). */
    openedFromAnomalyId: text('opened_from_anomaly_id'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAtColumn(),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
    closedAt: timestampColumn('closed_at'),
    legalHold: boolean('legal_hold').notNull().default(false),
    legalHoldAt: timestampColumn('legal_hold_at'),
    legalHoldBy: text('legal_hold_by'),
  },
  (t) => [index('cases_project_status_idx').on(t.projectId, t.status, t.updatedAt)],
);

export const caseNotes = pgTable(
  'case_notes',
  {
    id: idColumn(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    author: text('author').notNull(),
    body: text('body').notNull(),
    createdAt: createdAtColumn(),
  },
  (t) => [index('case_notes_case_idx').on(t.caseId, t.createdAt)],
);

/**
 * One attached item. Row items name their row by id (ref_id, as text:
 * telemetry ids are bigints, anomaly ids UUIDs); a time range names a seat
 * and [range_from, range_to]. seat_id is kept for every item that has one,
 * so holds and exports need no join to find whose data it is.
 */
export const caseItems = pgTable(
  'case_items',
  {
    id: idColumn(),
    caseId: text('case_id')
      .notNull()
      .references(() => cases.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    kind: text('kind').$type<CaseItemKind>().notNull(),
    refId: text('ref_id'),
    seatId: text('seat_id').references(() => seats.id, { onDelete: 'set null' }),
    rangeFrom: timestampColumn('range_from'),
    rangeTo: timestampColumn('range_to'),
    note: text('note').notNull().default(''),
    addedBy: text('added_by').notNull(),
    addedAt: createdAtColumn(),
  },
  (t) => [
    unique('case_items_ref_uq')
      .on(t.caseId, t.kind, t.refId, t.seatId, t.rangeFrom, t.rangeTo)
      .nullsNotDistinct(),
    index('case_items_project_kind_idx').on(t.projectId, t.kind),
  ],
);
