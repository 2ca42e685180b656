/**
 * The desktop sessions open now on shared computers (issue #14): one row per
 * agent and OS account between the session's start and its end, as the
 * machine service told them (domain/desktop-sessions.ts). The login records
 * (`logins`, kinds `session_start` and `session_end`) are the history; this is
 * what the board names as a seat's operators and what concurrent_login
 * compares across seats.
 */
import { sql } from 'drizzle-orm';
import { bigint, index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { agents, logins } from './agents.js';
import { timestampColumn } from './columns.js';
import { projects, seats } from './tenancy.js';

export const desktopSessions = pgTable(
  'desktop_sessions',
  {
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    seatId: text('seat_id').references(() => seats.id, { onDelete: 'set null' }),
    /** The session's OS account, as the service read it from the session's local socket (sanitised). */
    osUser: text('os_user').notNull(),
    startedAt: timestampColumn('started_at').notNull(),
    /** The session_start login record. */
    loginId: bigint('login_id', { mode: 'number' }).references(() => logins.id, { onDelete: 'set null' }),
  },
  (t) => [
    primaryKey({ columns: [t.agentId, t.osUser] }),
    index('desktop_sessions_project_os_user_idx').on(t.projectId, sql`lower(${t.osUser})`),
    index('desktop_sessions_seat_idx').on(t.seatId),
  ],
);
