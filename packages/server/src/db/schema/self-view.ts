/** One-time links and short sessions for the operator self-view (src/investigation/self-view.service.ts). */
import { index, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampColumn } from './columns.js';
import { projects, seats } from './tenancy.js';

/**
 * One-time links to the operator self-view. The agent asks for one with a
 * request signed by its key; the link's token is stored hashed and works
 * once, then a short self-view session (its token also hashed) lets the
 * page read what was collected about that seat.
 */
export const selfViewLinks = pgTable(
  'self_view_links',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    seatId: text('seat_id')
      .notNull()
      .references(() => seats.id, { onDelete: 'cascade' }),
    agentId: text('agent_id').notNull(),
    /** The signed request's nonce: a request is honoured once. */
    requestNonce: text('request_nonce').notNull().unique(),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestampColumn('expires_at').notNull(),
    usedAt: timestampColumn('used_at'),
    sessionHash: text('session_hash').unique(),
    sessionExpiresAt: timestampColumn('session_expires_at'),
    /** The OS account whose data the session shows (the operator who asked); null: the whole seat. */
    osUser: text('os_user'),
    createdAt: createdAtColumn(),
  },
  (t) => [index('self_view_links_seat_idx').on(t.seatId)],
);
