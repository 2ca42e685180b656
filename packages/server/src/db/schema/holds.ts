/**
 * What legal holds and offboarding keep beyond the telemetry rows (issue #11):
 * the signed frames of held seats, verbatim, and every version of every
 * policy (written by a trigger on `policies`, migration 0010).
 *
 * Both are append-only (migration 0014, triggers put back by migrate:
 * db/audit-protection.ts): no row is ever updated; a policy version goes
 * only with its project's cascade, a frame only once no hold covers its seat.
 */

import type { Policy } from '@seatwatch/shared';
import { bigint, index, integer, jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { agents } from './agents.js';
import { timestampColumn } from './columns.js';
import { projects } from './tenancy.js';

export type SignedFrameKind = 'batch' | 'blob';

/**
 * One data frame of a seat under legal hold, exactly as it arrived: the
 * envelope text `{"p": ..., "s": ...}` (for a blob frame, the envelope in
 * front of the bytes; the bytes are in the blob store under the payload's
 * sha256). Only the agent is a foreign key, as for telemetry rows.
 */
export const signedFrames = pgTable(
  'signed_frames',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    projectId: text('project_id').notNull(),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    seatId: text('seat_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    kind: text('kind').$type<SignedFrameKind>().notNull(),
    envelope: text('envelope').notNull(),
    receivedAt: timestampColumn('received_at').notNull(),
  },
  (t) => [
    unique('signed_frames_agent_seq_uq').on(t.agentId, t.seq),
    index('signed_frames_seat_received_idx').on(t.seatId, t.receivedAt),
    index('signed_frames_project_received_idx').on(t.projectId, t.receivedAt),
  ],
);

/** A policy as it was from `recorded_at` on (site_id null: the project's own). */
export const policyHistory = pgTable(
  'policy_history',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    policyId: text('policy_id').notNull(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    siteId: text('site_id'),
    settings: jsonb('settings').$type<Policy>().notNull(),
    noticeText: text('notice_text').notNull(),
    noticeVersion: integer('notice_version').notNull(),
    recordedAt: timestampColumn('recorded_at').notNull(),
  },
  (t) => [index('policy_history_project_idx').on(t.projectId, t.recordedAt)],
);
