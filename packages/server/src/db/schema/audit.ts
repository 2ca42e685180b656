/**
 * The audit log: append-only, hash-chained. Every read of screenshots,
 * timelines and exports, every administrative change and every sign-in
 * adds a row through recordAudit() (src/audit/audit-log.ts), never any
 * other way. Rows name projects, seats, cases and users by id without
 * foreign keys on purpose: the entries must outlive what they describe
 * (a purged project's audit trail stays). A trigger (migration
 * 0004_audit_append_only) makes UPDATE, DELETE and TRUNCATE fail.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns.js';

/** What an entry is about, e.g. { kind: 'screenshot', id: '42' }. */
export interface AuditTarget {
  kind: string;
  id: string;
}

export const auditLog = pgTable(
  'audit_log',
  {
    /** 1, 2, 3... without gaps: the chain order. Taken from audit_chain_head, never reused. */
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    at: timestampColumn('at').notNull(),
    /** 'user:<username>', 'admin-token', 'operator:<seat name>', 'system', 'cli:<OS account>' (offboarding from the command line). */
    actor: text('actor').notNull(),
    /** The user id behind `actor`, when it is a dashboard user. */
    actorId: text('actor_id'),
    /** Dotted verb, e.g. 'screenshot.view', 'timeline.read', 'auth.login', 'admin.change'. */
    action: text('action').notNull(),
    /** success, refused, failed. */
    outcome: text('outcome').notNull(),
    projectId: text('project_id'),
    seatId: text('seat_id'),
    caseId: text('case_id'),
    target: jsonb('target').$type<AuditTarget | null>(),
    /** The reason the person gave (required for full screenshots and timelines). */
    reason: text('reason'),
    ip: text('ip'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    /** SHA-256 (hex) of the previous entry; 64 zeros for the first. */
    prevHash: text('prev_hash').notNull(),
    /** SHA-256 (hex) over the canonical serialisation of this entry including prev_hash. */
    hash: text('hash').notNull(),
  },
  (t) => [
    index('audit_log_project_at_idx').on(t.projectId, t.at),
    index('audit_log_seat_at_idx').on(t.seatId, t.at),
    index('audit_log_case_idx').on(t.caseId),
    index('audit_log_actor_at_idx').on(t.actor, t.at),
  ],
);

/**
 * The chain's head: the last entry's seq and hash, one row (migration
 * 0008_audit_anchoring). An append locks it, takes seq + 1 and links to
 * its hash, and moves it forward in the same transaction; a trigger lets
 * it move nowhere else. So entries cut off the end of audit_log do not
 * give their numbers to the next ones: the next entry leaves a gap.
 */
export const auditChainHead = pgTable(
  'audit_chain_head',
  {
    id: boolean('id').primaryKey().default(true),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [check('audit_chain_head_one_row', sql`${t.id}`)],
);
