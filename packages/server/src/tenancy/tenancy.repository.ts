/** Projects, sites, teams, seats and their policies. */
import { DEFAULT_POLICY, type Notice, type Policy } from '@seatwatch/shared';
import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { policies, projects, seats, sites, teams } from '../db/schema/index.js';
import { DEFAULT_NOTICE_TEXT, nextNoticeVersion } from '../domain/notice.js';

export type ProjectRow = typeof projects.$inferSelect;
export type SiteRow = typeof sites.$inferSelect;
export type TeamRow = typeof teams.$inferSelect;
export type SeatRow = typeof seats.$inferSelect;

export interface EffectivePolicy {
  policy: Policy;
  notice: Notice;
}

export async function createProject(
  ex: Executor,
  input: { name: string; policy?: Partial<Policy>; noticeText?: string },
): Promise<ProjectRow> {
  const [project] = await ex.insert(projects).values({ name: input.name }).returning();
  await ex.insert(policies).values({
    projectId: project!.id,
    siteId: null,
    settings: { ...DEFAULT_POLICY, ...input.policy },
    noticeText: input.noticeText ?? DEFAULT_NOTICE_TEXT,
    noticeVersion: 1,
  });
  return project!;
}

export function listProjects(ex: Executor): Promise<ProjectRow[]> {
  return ex.select().from(projects).orderBy(asc(projects.name));
}

export async function findProject(ex: Executor, id: string): Promise<ProjectRow | null> {
  const [row] = await ex.select().from(projects).where(eq(projects.id, id));
  return row ?? null;
}

export async function createSite(ex: Executor, projectId: string, name: string): Promise<SiteRow> {
  const [row] = await ex.insert(sites).values({ projectId, name }).returning();
  return row!;
}

export function listSites(ex: Executor, projectId: string): Promise<SiteRow[]> {
  return ex.select().from(sites).where(eq(sites.projectId, projectId)).orderBy(asc(sites.name));
}

export async function findSite(ex: Executor, projectId: string, id: string): Promise<SiteRow | null> {
  const [row] = await ex
    .select()
    .from(sites)
    .where(and(eq(sites.projectId, projectId), eq(sites.id, id)));
  return row ?? null;
}

export async function createTeam(
  ex: Executor,
  input: { projectId: string; siteId: string | null; name: string },
): Promise<TeamRow> {
  const [row] = await ex.insert(teams).values(input).returning();
  return row!;
}

export function listTeams(ex: Executor, projectId: string): Promise<TeamRow[]> {
  return ex.select().from(teams).where(eq(teams.projectId, projectId)).orderBy(asc(teams.name));
}

export async function findTeam(ex: Executor, projectId: string, id: string): Promise<TeamRow | null> {
  const [row] = await ex
    .select()
    .from(teams)
    .where(and(eq(teams.projectId, projectId), eq(teams.id, id)));
  return row ?? null;
}

export async function createSeat(
  ex: Executor,
  input: { projectId: string; siteId: string | null; teamId: string | null; name: string },
): Promise<SeatRow> {
  const [row] = await ex.insert(seats).values(input).returning();
  return row!;
}

/** The seat of this name in the project, made on first use (enrollment names seats by hostname). */
export async function findOrCreateSeat(
  ex: Executor,
  input: { projectId: string; siteId: string | null; name: string },
): Promise<SeatRow> {
  await ex
    .insert(seats)
    .values({ ...input, teamId: null })
    .onConflictDoNothing({ target: [seats.projectId, seats.name] });
  const [row] = await ex
    .select()
    .from(seats)
    .where(and(eq(seats.projectId, input.projectId), eq(seats.name, input.name)));
  return row!;
}

export function listSeats(ex: Executor, projectId: string): Promise<SeatRow[]> {
  return ex.select().from(seats).where(eq(seats.projectId, projectId)).orderBy(asc(seats.name));
}

/** The seat of this id in the project, locked until the caller's transaction ends (a move reads, then writes). */
export async function lockSeat(ex: Executor, projectId: string, seatId: string): Promise<SeatRow | null> {
  const [row] = await ex
    .select()
    .from(seats)
    .where(and(eq(seats.projectId, projectId), eq(seats.id, seatId)))
    .for('update');
  return row ?? null;
}

/** Every seat of the project, locked until the caller's transaction ends (a bulk move resolves names against them). */
export function lockSeats(ex: Executor, projectId: string): Promise<SeatRow[]> {
  return ex.select().from(seats).where(eq(seats.projectId, projectId)).for('update');
}

/** Sets a seat's name, site and team. */
export async function placeSeat(
  ex: Executor,
  projectId: string,
  seatId: string,
  placement: { name: string; siteId: string | null; teamId: string | null },
): Promise<SeatRow> {
  const [row] = await ex
    .update(seats)
    .set(placement)
    .where(and(eq(seats.projectId, projectId), eq(seats.id, seatId)))
    .returning();
  return row!;
}

export interface SeatPlacement {
  siteId: string | null;
  teamId: string | null;
}

/** Every seat's site and team in a project as they are now, by seat id. */
export async function projectSeatPlacements(
  ex: Executor,
  projectId: string,
): Promise<Map<string, SeatPlacement>> {
  const rows = await ex
    .select({ id: seats.id, siteId: seats.siteId, teamId: seats.teamId })
    .from(seats)
    .where(eq(seats.projectId, projectId));
  return new Map(rows.map((row) => [row.id, { siteId: row.siteId, teamId: row.teamId }]));
}

export async function setSeatLegalHold(
  ex: Executor,
  projectId: string,
  seatId: string,
  hold: boolean,
): Promise<SeatRow | null> {
  const [row] = await ex
    .update(seats)
    .set({ legalHold: hold })
    .where(and(eq(seats.projectId, projectId), eq(seats.id, seatId)))
    .returning();
  return row ?? null;
}

/** The site's policy if it has one, else the project's; fields the row lacks take their defaults. */
export async function effectivePolicy(
  ex: Executor,
  projectId: string,
  siteId: string | null,
): Promise<EffectivePolicy> {
  const [row] = await ex
    .select()
    .from(policies)
    .where(
      and(
        eq(policies.projectId, projectId),
        siteId === null ? isNull(policies.siteId) : or(isNull(policies.siteId), eq(policies.siteId, siteId)),
      ),
    )
    .orderBy(sql`${policies.siteId} nulls last`)
    .limit(1);
  if (!row) throw new Error(`project ${projectId} has no policy row`);
  return {
    policy: { ...DEFAULT_POLICY, ...row.settings },
    notice: { version: row.noticeVersion, text: row.noticeText },
  };
}

/** The policy of a seat: its site's, else its project's (a seat that is gone gets its project's). */
export async function seatPolicy(ex: Executor, projectId: string, seatId: string): Promise<EffectivePolicy> {
  const [seat] = await ex.select({ siteId: seats.siteId }).from(seats).where(eq(seats.id, seatId));
  return effectivePolicy(ex, projectId, seat?.siteId ?? null);
}

/** Replaces the policy of a project (siteId null) or a site; the notice version moves on when its text changes. */
export async function putPolicy(
  ex: Executor,
  input: { projectId: string; siteId: string | null; policy: Policy; noticeText: string },
): Promise<EffectivePolicy> {
  const current = await effectivePolicy(ex, input.projectId, input.siteId);
  const version = nextNoticeVersion(current.notice, input.noticeText);
  await ex
    .insert(policies)
    .values({
      projectId: input.projectId,
      siteId: input.siteId,
      settings: input.policy,
      noticeText: input.noticeText,
      noticeVersion: version,
    })
    .onConflictDoUpdate({
      target: [policies.projectId, policies.siteId],
      set: {
        settings: input.policy,
        noticeText: input.noticeText,
        noticeVersion: version,
        updatedAt: new Date(),
      },
    });
  return { policy: { ...DEFAULT_POLICY, ...input.policy }, notice: { version, text: input.noticeText } };
}

export interface PolicyRetention {
  projectId: string;
  /** null: the project-wide policy. */
  siteId: string | null;
  retentionDays: number;
}

/** Every stored policy's retention (a policy without one keeps the default). */
export async function policyRetentions(ex: Executor): Promise<PolicyRetention[]> {
  const rows = await ex
    .select({ projectId: policies.projectId, siteId: policies.siteId, settings: policies.settings })
    .from(policies);
  return rows.map((row) => ({
    projectId: row.projectId,
    siteId: row.siteId,
    retentionDays: row.settings.retentionDays ?? DEFAULT_POLICY.retentionDays,
  }));
}

/**
 * Raises one stored policy's retention to `minimumDays` when it is below,
 * and returns the value it had (null: no such policy, or not below). The
 * row stays locked until the caller's transaction ends, so two processes
 * starting at once raise and record it once, and a longer value set
 * meanwhile is never lowered.
 */
export async function raisePolicyRetention(
  ex: Executor,
  scope: { projectId: string; siteId: string | null },
  minimumDays: number,
): Promise<number | null> {
  const where = and(
    eq(policies.projectId, scope.projectId),
    scope.siteId === null ? isNull(policies.siteId) : eq(policies.siteId, scope.siteId),
  );
  const [row] = await ex.select({ settings: policies.settings }).from(policies).where(where).for('update');
  const previous = row ? (row.settings.retentionDays ?? DEFAULT_POLICY.retentionDays) : null;
  if (!row || previous === null || previous >= minimumDays) return null;
  await ex
    .update(policies)
    .set({ settings: { ...row.settings, retentionDays: minimumDays }, updatedAt: new Date() })
    .where(where);
  return previous;
}
