/**
 * Every query of accounts and sign-in: users, grants, sessions, setup links,
 * sign-in throttles, the dashboard allowlist, project dashboard settings, and the projects and
 * teams that grants name.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import {
  dashboardAllowlist,
  projectDashboardSettings,
  setupLinks,
  signInThrottles,
  userGrants,
  userSessions,
  users,
} from '../db/schema/accounts.js';
import { projects, teams } from '../db/schema/tenancy.js';

export type UserRecord = typeof users.$inferSelect;
export type SessionRecord = typeof userSessions.$inferSelect;
export type SetupLinkRecord = typeof setupLinks.$inferSelect;
export type ThrottleRecord = typeof signInThrottles.$inferSelect;
export type GrantRecord = Pick<typeof userGrants.$inferSelect, 'role' | 'projectId' | 'teamId'>;
export type DashboardAllowlistEntry = Pick<typeof dashboardAllowlist.$inferSelect, 'cidr' | 'note'>;
export type ProjectDashboardSettingsRecord = Pick<
  typeof projectDashboardSettings.$inferSelect,
  'clearThumbnails' | 'requireTotp'
>;
export type ProjectOption = Pick<typeof projects.$inferSelect, 'id' | 'name'>;
export type TeamOption = Pick<typeof teams.$inferSelect, 'id' | 'projectId' | 'name'>;

const grantColumns = { role: userGrants.role, projectId: userGrants.projectId, teamId: userGrants.teamId };
const allowlistColumns = { cidr: dashboardAllowlist.cidr, note: dashboardAllowlist.note };
const projectOptionColumns = { id: projects.id, name: projects.name };
const teamOptionColumns = { id: teams.id, projectId: teams.projectId, name: teams.name };

/** The first administrator's advisory lock (0x5ea7_0001 is the migrations', 0x5ea7_0002 retention's). */
const FIRST_ADMINISTRATOR_LOCK_KEY = 0x5ea7_0003;

/**
 * Held until the transaction ends: processes starting together on a fresh database would otherwise
 * all count no users, all insert `admin`, and all but one fail to start on the unique name.
 */
export async function lockFirstAdministrator(ex: Executor): Promise<void> {
  await ex.execute(sql`select pg_advisory_xact_lock(${FIRST_ADMINISTRATOR_LOCK_KEY})`);
}

export async function countUsers(ex: Executor): Promise<number> {
  const [row] = await ex.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

export async function findUserByUsername(ex: Executor, username: string): Promise<UserRecord | null> {
  const [row] = await ex.select().from(users).where(eq(users.username, username));
  return row ?? null;
}

export async function findUser(ex: Executor, id: string): Promise<UserRecord | null> {
  const [row] = await ex.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function insertUser(
  ex: Executor,
  input: { username: string; displayName: string; createdBy: string },
): Promise<UserRecord> {
  const [row] = await ex.insert(users).values(input).returning();
  return row!;
}

export async function updateUser(
  ex: Executor,
  id: string,
  patch: Partial<Omit<UserRecord, 'id' | 'username' | 'createdAt' | 'createdBy'>>,
): Promise<void> {
  await ex.update(users).set(patch).where(eq(users.id, id));
}

export function grantsOf(ex: Executor, userId: string): Promise<GrantRecord[]> {
  return ex.select(grantColumns).from(userGrants).where(eq(userGrants.userId, userId));
}

export async function grantsOfUsers(
  ex: Executor,
  userIds: readonly string[],
): Promise<Map<string, GrantRecord[]>> {
  const byUser = new Map<string, GrantRecord[]>();
  if (userIds.length === 0) return byUser;
  const rows = await ex
    .select({ userId: userGrants.userId, ...grantColumns })
    .from(userGrants)
    .where(inArray(userGrants.userId, [...userIds]));
  for (const { userId, ...grant } of rows) {
    const list = byUser.get(userId) ?? [];
    list.push(grant);
    byUser.set(userId, list);
  }
  return byUser;
}

export async function replaceGrants(
  ex: Executor,
  userId: string,
  grants: readonly GrantRecord[],
): Promise<void> {
  await ex.delete(userGrants).where(eq(userGrants.userId, userId));
  if (grants.length > 0) await ex.insert(userGrants).values(grants.map((grant) => ({ userId, ...grant })));
}

export function listUsers(ex: Executor): Promise<UserRecord[]> {
  return ex.select().from(users).orderBy(asc(users.username));
}

/** Users with at least one grant in one of these projects. */
export async function listUsersInProjects(
  ex: Executor,
  projectIds: readonly string[],
): Promise<UserRecord[]> {
  if (projectIds.length === 0) return [];
  const ids = ex
    .selectDistinct({ id: userGrants.userId })
    .from(userGrants)
    .where(inArray(userGrants.projectId, [...projectIds]));
  return ex.select().from(users).where(inArray(users.id, ids)).orderBy(asc(users.username));
}

export async function insertSession(
  ex: Executor,
  input: Pick<
    SessionRecord,
    'tokenHash' | 'userId' | 'stage' | 'ip' | 'userAgent' | 'lastSeenAt' | 'expiresAt'
  >,
): Promise<SessionRecord> {
  const [row] = await ex.insert(userSessions).values(input).returning();
  return row!;
}

export async function findSessionByTokenHash(
  ex: Executor,
  tokenHash: string,
): Promise<{ session: SessionRecord; user: UserRecord } | null> {
  const [row] = await ex
    .select({ session: userSessions, user: users })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(eq(userSessions.tokenHash, tokenHash));
  return row ?? null;
}

export async function updateSession(
  ex: Executor,
  id: string,
  patch: Partial<
    Pick<SessionRecord, 'tokenHash' | 'stage' | 'pendingTotpSecret' | 'lastSeenAt' | 'expiresAt'>
  >,
): Promise<void> {
  await ex.update(userSessions).set(patch).where(eq(userSessions.id, id));
}

export function liveSessionsOf(ex: Executor, userId: string, now: Date): Promise<SessionRecord[]> {
  return ex
    .select()
    .from(userSessions)
    .where(
      and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, now)),
    )
    .orderBy(asc(userSessions.createdAt));
}

/** Revokes one session of the user (or all of them when `id` is null); returns how many. */
export async function revokeSessions(
  ex: Executor,
  userId: string,
  id: string | null,
  now: Date,
): Promise<number> {
  const rows = await ex
    .update(userSessions)
    .set({ revokedAt: now })
    .where(
      and(
        eq(userSessions.userId, userId),
        isNull(userSessions.revokedAt),
        id === null ? undefined : eq(userSessions.id, id),
      ),
    )
    .returning({ id: userSessions.id });
  return rows.length;
}

export async function findThrottle(
  ex: Executor,
  username: string,
  ip: string,
): Promise<ThrottleRecord | null> {
  const [row] = await ex
    .select()
    .from(signInThrottles)
    .where(and(eq(signInThrottles.username, username), eq(signInThrottles.ip, ip)));
  return row ?? null;
}

/**
 * Counts one more failure of the pair in one statement (parallel failures
 * are all counted); a pair whose last failure is older than `forgetBefore`
 * starts again at one. Returns the row as it is now.
 */
export async function addThrottleFailure(
  ex: Executor,
  input: { username: string; ip: string; now: Date; forgetBefore: Date },
): Promise<ThrottleRecord> {
  const stale = sql`${signInThrottles.lastFailureAt} < ${input.forgetBefore}`;
  const [row] = await ex
    .insert(signInThrottles)
    .values({
      username: input.username,
      ip: input.ip,
      failures: 1,
      firstFailureAt: input.now,
      lastFailureAt: input.now,
      nextAttemptAt: input.now,
    })
    .onConflictDoUpdate({
      target: [signInThrottles.username, signInThrottles.ip],
      set: {
        failures: sql`case when ${stale} then 1 else ${signInThrottles.failures} + 1 end`,
        firstFailureAt: sql`case when ${stale} then excluded.first_failure_at else ${signInThrottles.firstFailureAt} end`,
        lastFailureAt: input.now,
      },
    })
    .returning();
  return row!;
}

export async function setThrottleNextAttempt(ex: Executor, id: string, at: Date): Promise<void> {
  await ex.update(signInThrottles).set({ nextAttemptAt: at }).where(eq(signInThrottles.id, id));
}

export async function deleteThrottle(ex: Executor, username: string, ip: string): Promise<void> {
  await ex
    .delete(signInThrottles)
    .where(and(eq(signInThrottles.username, username), eq(signInThrottles.ip, ip)));
}

export async function deleteThrottleById(ex: Executor, id: string): Promise<ThrottleRecord | null> {
  const [row] = await ex.delete(signInThrottles).where(eq(signInThrottles.id, id)).returning();
  return row ?? null;
}

/** Pairs with at least `minFailures` failures, the last one at or after `since`; most recent first. */
export function listThrottles(
  ex: Executor,
  filter: { minFailures: number; since: Date; limit: number },
): Promise<ThrottleRecord[]> {
  return ex
    .select()
    .from(signInThrottles)
    .where(
      and(
        gte(signInThrottles.failures, filter.minFailures),
        gte(signInThrottles.lastFailureAt, filter.since),
      ),
    )
    .orderBy(desc(signInThrottles.lastFailureAt))
    .limit(filter.limit);
}

/** Forgets pairs whose last failure is older than `before` (they no longer count). */
export async function pruneThrottles(ex: Executor, before: Date): Promise<void> {
  await ex.delete(signInThrottles).where(lt(signInThrottles.lastFailureAt, before));
}

/** Revokes every session of the user but `keepId`; returns the ids revoked. */
export async function revokeOtherSessions(
  ex: Executor,
  userId: string,
  keepId: string,
  now: Date,
): Promise<string[]> {
  const rows = await ex
    .update(userSessions)
    .set({ revokedAt: now })
    .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), ne(userSessions.id, keepId)))
    .returning({ id: userSessions.id });
  return rows.map((row) => row.id);
}

export async function insertSetupLink(
  ex: Executor,
  input: Pick<SetupLinkRecord, 'tokenHash' | 'userId' | 'expiresAt' | 'createdBy'>,
  now: Date,
): Promise<SetupLinkRecord> {
  // A new link replaces any earlier one that is still open.
  await ex
    .update(setupLinks)
    .set({ expiresAt: now })
    .where(
      and(eq(setupLinks.userId, input.userId), isNull(setupLinks.usedAt), gt(setupLinks.expiresAt, now)),
    );
  const [row] = await ex.insert(setupLinks).values(input).returning();
  return row!;
}

export async function findSetupLink(ex: Executor, tokenHash: string): Promise<SetupLinkRecord | null> {
  const [row] = await ex.select().from(setupLinks).where(eq(setupLinks.tokenHash, tokenHash));
  return row ?? null;
}

export async function setSetupLinkTotp(ex: Executor, id: string, sealedSecret: string): Promise<void> {
  await ex
    .update(setupLinks)
    .set({ totpSecret: sealedSecret })
    .where(and(eq(setupLinks.id, id), isNull(setupLinks.totpSecret)));
}

/** Marks the link used; false when another request used it first. */
export async function consumeSetupLink(ex: Executor, id: string, now: Date): Promise<boolean> {
  const rows = await ex
    .update(setupLinks)
    .set({ usedAt: now })
    .where(and(eq(setupLinks.id, id), isNull(setupLinks.usedAt), gt(setupLinks.expiresAt, now)))
    .returning({ id: setupLinks.id });
  return rows.length === 1;
}

export async function hasOpenSetupLink(ex: Executor, userId: string, now: Date): Promise<boolean> {
  const rows = await ex
    .select({ id: setupLinks.id })
    .from(setupLinks)
    .where(and(eq(setupLinks.userId, userId), isNull(setupLinks.usedAt), gt(setupLinks.expiresAt, now)));
  return rows.length > 0;
}

export function listDashboardAllowlist(ex: Executor): Promise<DashboardAllowlistEntry[]> {
  return ex.select(allowlistColumns).from(dashboardAllowlist).orderBy(asc(dashboardAllowlist.cidr));
}

export async function replaceDashboardAllowlist(
  ex: Executor,
  entries: readonly DashboardAllowlistEntry[],
): Promise<void> {
  await ex.delete(dashboardAllowlist);
  if (entries.length > 0) await ex.insert(dashboardAllowlist).values([...entries]);
}

/** What a project without a settings row gets (the columns' defaults). */
export const DEFAULT_PROJECT_DASHBOARD_SETTINGS: ProjectDashboardSettingsRecord = Object.freeze({
  clearThumbnails: false,
  requireTotp: false,
});

export async function projectSettings(
  ex: Executor,
  projectIds: readonly string[],
): Promise<Map<string, ProjectDashboardSettingsRecord>> {
  const result = new Map<string, ProjectDashboardSettingsRecord>();
  if (projectIds.length === 0) return result;
  const rows = await ex
    .select()
    .from(projectDashboardSettings)
    .where(inArray(projectDashboardSettings.projectId, [...projectIds]));
  for (const id of projectIds) result.set(id, DEFAULT_PROJECT_DASHBOARD_SETTINGS);
  for (const row of rows) {
    result.set(row.projectId, { clearThumbnails: row.clearThumbnails, requireTotp: row.requireTotp });
  }
  return result;
}

export async function putProjectSettings(
  ex: Executor,
  projectId: string,
  settings: ProjectDashboardSettingsRecord,
  now: Date,
): Promise<void> {
  await ex
    .insert(projectDashboardSettings)
    .values({ projectId, ...settings, updatedAt: now })
    .onConflictDoUpdate({ target: projectDashboardSettings.projectId, set: { ...settings, updatedAt: now } });
}

/** Which of these projects exist. */
export async function existingProjectIds(ex: Executor, projectIds: readonly string[]): Promise<Set<string>> {
  if (projectIds.length === 0) return new Set();
  const rows = await ex
    .select({ id: projects.id })
    .from(projects)
    .where(inArray(projects.id, [...projectIds]));
  return new Set(rows.map((row) => row.id));
}

/** The project of each of these teams that exists. */
export async function projectsOfTeams(
  ex: Executor,
  teamIds: readonly string[],
): Promise<Map<string, string>> {
  if (teamIds.length === 0) return new Map();
  const rows = await ex
    .select({ id: teams.id, projectId: teams.projectId })
    .from(teams)
    .where(inArray(teams.id, [...teamIds]));
  return new Map(rows.map((row) => [row.id, row.projectId]));
}

/** Projects by name: all of them (null), or these. */
export async function projectOptions(
  ex: Executor,
  projectIds: readonly string[] | null,
): Promise<ProjectOption[]> {
  if (projectIds?.length === 0) return [];
  return ex
    .select(projectOptionColumns)
    .from(projects)
    .where(projectIds === null ? undefined : inArray(projects.id, [...projectIds]))
    .orderBy(asc(projects.name));
}

/** The teams of these projects, by name. */
export async function teamOptions(ex: Executor, projectIds: readonly string[]): Promise<TeamOption[]> {
  if (projectIds.length === 0) return [];
  return ex
    .select(teamOptionColumns)
    .from(teams)
    .where(inArray(teams.projectId, [...projectIds]))
    .orderBy(asc(teams.name));
}
