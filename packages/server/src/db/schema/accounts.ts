/**
 * Dashboard accounts: users, their role grants, sessions, one-time setup
 * links, sign-in throttles, the dashboard's own IP allowlist and per-project
 * dashboard settings.
 * Secrets are stored hashed (passwords: argon2id; session and setup tokens:
 * SHA-256) or sealed (TOTP keys: AES-256-GCM, see accounts/secret-box.ts).
 */
import { bigint, boolean, index, integer, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampColumn } from './columns.js';
import { projects, teams } from './tenancy.js';

export type AccountRole = 'administrator' | 'supervisor' | 'investigator' | 'auditor';
export type SessionStage = 'totp' | 'totp_setup' | 'full';

export const users = pgTable('users', {
  id: idColumn(),
  /** Lower-case; compared exactly. */
  username: text('username').notNull().unique(),
  displayName: text('display_name').notNull().default(''),
  /** argon2id PHC string; null until the setup link is used. */
  passwordHash: text('password_hash'),
  /** Sealed TOTP key; null when the account has no authenticator. */
  totpSecret: text('totp_secret'),
  /** Last accepted TOTP time step: a code is never accepted twice. */
  totpLastStep: bigint('totp_last_step', { mode: 'number' }),
  disabledAt: timestampColumn('disabled_at'),
  lastLoginAt: timestampColumn('last_login_at'),
  createdBy: text('created_by').notNull(),
  createdAt: createdAtColumn(),
});

/**
 * A role in a scope. project_id null: every project (installation
 * administrator); team_id null: the whole project.
 */
export const userGrants = pgTable(
  'user_grants',
  {
    id: idColumn(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role').$type<AccountRole>().notNull(),
    projectId: text('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    teamId: text('team_id').references(() => teams.id, { onDelete: 'cascade' }),
  },
  (t) => [
    unique('user_grants_uq').on(t.userId, t.role, t.projectId, t.teamId).nullsNotDistinct(),
    index('user_grants_project_idx').on(t.projectId),
  ],
);

export const userSessions = pgTable(
  'user_sessions',
  {
    /** Public id, to list and revoke sessions; the cookie holds a different secret. */
    id: idColumn(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    stage: text('stage').$type<SessionStage>().notNull(),
    /** Sealed TOTP key offered to an account that must add an authenticator at sign-in. */
    pendingTotpSecret: text('pending_totp_secret'),
    ip: text('ip').notNull(),
    userAgent: text('user_agent').notNull().default(''),
    createdAt: createdAtColumn(),
    lastSeenAt: timestampColumn('last_seen_at').notNull(),
    expiresAt: timestampColumn('expires_at').notNull(),
    revokedAt: timestampColumn('revoked_at'),
  },
  (t) => [index('user_sessions_user_idx').on(t.userId)],
);

/** One-time links to set a password (and authenticator): first start, new users, resets. */
export const setupLinks = pgTable(
  'setup_links',
  {
    id: idColumn(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Sealed TOTP key offered on this link, made when the link is first opened. */
    totpSecret: text('totp_secret'),
    expiresAt: timestampColumn('expires_at').notNull(),
    usedAt: timestampColumn('used_at'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAtColumn(),
  },
  (t) => [index('setup_links_user_idx').on(t.userId)],
);

/**
 * Failed sign-ins per (user name, client IP), issue #13: the delay that grows
 * with them applies to that pair only, so failures from one address never
 * keep the account's owner out from another. Keyed by the name as typed
 * (normalised), not by user id, so an unknown name is throttled exactly like
 * a known one and the answers cannot tell them apart.
 */
export const signInThrottles = pgTable(
  'sign_in_throttles',
  {
    id: idColumn(),
    username: text('username').notNull(),
    /** The client's IPv4 address, or its IPv6 /64 network (accounts/sign-in-throttle.ts). */
    ip: text('ip').notNull(),
    failures: integer('failures').notNull(),
    firstFailureAt: timestampColumn('first_failure_at').notNull(),
    lastFailureAt: timestampColumn('last_failure_at').notNull(),
    /** No attempt for this pair is checked before this time. */
    nextAttemptAt: timestampColumn('next_attempt_at').notNull(),
  },
  (t) => [
    unique('sign_in_throttles_uq').on(t.username, t.ip),
    index('sign_in_throttles_last_failure_idx').on(t.lastFailureAt),
  ],
);

/** Networks the dashboard accepts sign-ins and sessions from; empty means anywhere. */
export const dashboardAllowlist = pgTable('dashboard_allowlist', {
  id: idColumn(),
  /** Normalised CIDR. */
  cidr: text('cidr').notNull().unique(),
  note: text('note').notNull().default(''),
  createdAt: createdAtColumn(),
});

export const projectDashboardSettings = pgTable('project_dashboard_settings', {
  projectId: text('project_id')
    .primaryKey()
    .references(() => projects.id, { onDelete: 'cascade' }),
  clearThumbnails: boolean('clear_thumbnails').notNull().default(false),
  requireTotp: boolean('require_totp').notNull().default(false),
  updatedAt: timestampColumn('updated_at').notNull().defaultNow(),
});
