/**
 * Looks at seat data and refused requests, folded into buckets so that no
 * caller can flood the audit log (src/access-records/, migration
 * 0009_access_records). Like the audit log, rows name projects, seats and
 * users by id without foreign keys: the record must outlive what it names.
 */
import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns.js';

/** 'read': a look at seat data (or the audit log); 'refusal': a 401, 403 or 429. */
export type AccessKind = 'read' | 'refusal';

export const accessRecords = pgTable(
  'access_records',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    kind: text('kind').$type<AccessKind>().notNull(),
    /** 'm:<ISO minute>' for a minute's bucket, 's:<dashboard session id>:<project>' for a board session. */
    bucket: text('bucket').notNull(),
    /** When a minute's bucket closes (its remaining count is then reported); null for a session's. */
    bucketEnd: timestampColumn('bucket_end'),
    actor: text('actor').notNull(),
    actorId: text('actor_id'),
    /** The audit action the bucket reports as, e.g. 'seat.read', 'access.refused'. */
    action: text('action').notNull(),
    /** Method and route pattern, e.g. 'GET /api/v1/seats/:seatId'. */
    route: text('route').notNull(),
    projectId: text('project_id'),
    seatId: text('seat_id'),
    /** The OS account whose data was read (lower case), when one is known. */
    subject: text('subject'),
    /** The purpose of the bucket's first request. */
    reason: text('reason'),
    caseId: text('case_id'),
    /** The first request's client IP. */
    ip: text('ip'),
    /** What the first request asked (window, target, status). */
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    count: integer('count').notNull(),
    /** How many of `count` audit entries have reported so far. */
    reported: integer('reported').notNull().default(0),
    firstAt: timestampColumn('first_at').notNull(),
    lastAt: timestampColumn('last_at').notNull(),
  },
  (t) => [
    unique('access_records_bucket_uq')
      .on(t.kind, t.actor, t.action, t.route, t.projectId, t.seatId, t.subject, t.bucket)
      .nullsNotDistinct(),
    index('access_records_seat_idx').on(t.seatId, t.firstAt),
    index('access_records_unreported_idx').on(t.bucketEnd).where(sql`${t.count} > ${t.reported}`),
  ],
);
