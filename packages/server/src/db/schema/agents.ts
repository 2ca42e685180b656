/**
 * Who may connect: agents, the enrollment tokens that create them, the IP
 * allowlist, every login attempt, and the commands queued for agents.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, unique } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampColumn } from './columns.js';
import { projects, seats, sites } from './tenancy.js';

export type AgentStatus = 'active' | 'revoked';
export type SeatState = 'active' | 'idle' | 'locked';

export const enrollmentTokens = pgTable(
  'enrollment_tokens',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'cascade' }),
    label: text('label').notNull().default(''),
    /** SHA-256 (hex) of the token; the token itself is shown once and never stored. */
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestampColumn('expires_at').notNull(),
    maxUses: integer('max_uses').notNull(),
    uses: integer('uses').notNull().default(0),
    revokedAt: timestampColumn('revoked_at'),
    lastUsedAt: timestampColumn('last_used_at'),
    createdAt: createdAtColumn(),
  },
  (t) => [index('enrollment_tokens_project_idx').on(t.projectId)],
);

export const agents = pgTable(
  'agents',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    seatId: text('seat_id')
      .notNull()
      .references(() => seats.id, { onDelete: 'cascade' }),
    /** Base64 of the agent's 32-byte Ed25519 public key. */
    publicKey: text('public_key').notNull().unique(),
    status: text('status').$type<AgentStatus>().notNull().default('active'),
    hostname: text('hostname').notNull(),
    os: text('os').notNull(),
    osUser: text('os_user').notNull(),
    agentVersion: text('agent_version').notNull(),
    noticeVersion: integer('notice_version').notNull().default(0),
    enrollmentTokenId: text('enrollment_token_id').references(() => enrollmentTokens.id, {
      onDelete: 'set null',
    }),
    enrolledAt: createdAtColumn(),
    enrolledIp: text('enrolled_ip').notNull(),
    /** Highest seq stored for this agent: the sequencing state lives here, not in a process. */
    ackedSeq: bigint('acked_seq', { mode: 'number' }).notNull().default(0),
    /**
     * The OS account in force after the highest stored frame (domain/ingest-mapping.ts,
     * attributeAccount): where the next connection's frames start. Null before any frame names one.
     */
    latestOsUser: text('latest_os_user'),
    lastSeenAt: timestampColumn('last_seen_at'),
    lastIp: text('last_ip'),
    /** The session of the connection that last said welcome; cleared when that connection closes. */
    session: text('session'),
    /** The collector process (collector_processes.id) whose connection opened `session` (issue #15). */
    collectorId: text('collector_id'),
    connectedAt: timestampColumn('connected_at'),
    disconnectedAt: timestampColumn('disconnected_at'),
    state: text('state').$type<SeatState>(),
    stateAt: timestampColumn('state_at'),
    revokedAt: timestampColumn('revoked_at'),
    revokedBy: text('revoked_by'),
  },
  (t) => [
    index('agents_project_idx').on(t.projectId),
    index('agents_seat_idx').on(t.seatId),
    // concurrent_login looks up the other seats of an OS user (case-insensitive) at every hello and
    // at every return to active: without it, each look-up reads every agent of the project.
    index('agents_project_os_user_idx').on(t.projectId, sql`lower(${t.osUser})`),
  ],
);

/** IPv4/IPv6 CIDRs. A project entry covers all its seats; a site entry only that site's seats. */
export const allowlistEntries = pgTable(
  'allowlist_entries',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    siteId: text('site_id').references(() => sites.id, { onDelete: 'cascade' }),
    /** Normalised CIDR (network address / prefix length). */
    cidr: text('cidr').notNull(),
    note: text('note').notNull().default(''),
    createdAt: createdAtColumn(),
  },
  (t) => [unique('allowlist_scope_cidr_uq').on(t.projectId, t.siteId, t.cidr).nullsNotDistinct()],
);

/** A hello on the gateway, an enrollment, or a desktop session's start or end on a shared seat (issue #14). */
export type LoginKind = 'hello' | 'enroll' | 'session_start' | 'session_end';

/** Every hello and every enrollment attempt, allowed or refused. */
export const logins = pgTable(
  'logins',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestampColumn('at').notNull(),
    kind: text('kind').$type<LoginKind>().notNull(),
    projectId: text('project_id').references(() => projects.id, { onDelete: 'cascade' }),
    /** Set when the claimed agent exists. */
    agentId: text('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    /** The agent id as the hello claimed it (sanitised), also when no such agent exists. */
    claimedAgent: text('claimed_agent'),
    seatId: text('seat_id').references(() => seats.id, { onDelete: 'set null' }),
    /** The client IP decided from the socket (and trusted proxies). */
    ip: text('ip').notNull(),
    /** The socket's own peer address, which differs from `ip` behind a trusted proxy. */
    peerIp: text('peer_ip').notNull(),
    allowed: boolean('allowed').notNull(),
    /** Error code of the refusal (see docs/errors.md); null when allowed. */
    reason: text('reason'),
    /** hello.time minus the server's clock at arrival, in ms. */
    clockSkewMs: bigint('clock_skew_ms', { mode: 'number' }),
    session: text('session'),
    hostname: text('hostname'),
    osUser: text('os_user'),
    agentVersion: text('agent_version'),
  },
  (t) => [
    index('logins_agent_at_idx').on(t.agentId, t.at),
    index('logins_project_at_idx').on(t.projectId, t.at),
  ],
);

export type CommandStatus = 'pending' | 'sent' | 'succeeded' | 'failed';

/** Commands for agents, delivered by whichever server process holds the agent's socket. */
export const agentCommands = pgTable(
  'agent_commands',
  {
    id: idColumn(),
    projectId: text('project_id')
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    cmd: text('cmd').notNull(),
    args: jsonb('args').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    status: text('status').$type<CommandStatus>().notNull().default('pending'),
    requestedBy: text('requested_by').notNull(),
    requestedAt: createdAtColumn(),
    sentAt: timestampColumn('sent_at'),
    resultAt: timestampColumn('result_at'),
    resultMessage: text('result_message'),
  },
  (t) => [index('agent_commands_agent_status_idx').on(t.agentId, t.status)],
);
