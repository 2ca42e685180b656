/** Rule settings per project and shift schedules per team, and the tenancy rows their routes check. */
import { and, eq } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { anomalyRuleSettings, anomalyShiftSchedules, projects, teams } from '../db/schema/index.js';

export type RuleSettingRow = typeof anomalyRuleSettings.$inferSelect;
export type ShiftScheduleRow = typeof anomalyShiftSchedules.$inferSelect;
export type RuleSettingValues = Omit<typeof anomalyRuleSettings.$inferInsert, 'projectId' | 'rule'>;
export type ShiftScheduleValues = Omit<typeof anomalyShiftSchedules.$inferInsert, 'teamId'>;

export function listRuleSettings(ex: Executor, projectId: string): Promise<RuleSettingRow[]> {
  return ex.select().from(anomalyRuleSettings).where(eq(anomalyRuleSettings.projectId, projectId));
}

export async function findRuleSetting(
  ex: Executor,
  projectId: string,
  rule: string,
): Promise<RuleSettingRow | null> {
  const [row] = await ex
    .select()
    .from(anomalyRuleSettings)
    .where(and(eq(anomalyRuleSettings.projectId, projectId), eq(anomalyRuleSettings.rule, rule)));
  return row ?? null;
}

export async function putRuleSetting(
  ex: Executor,
  projectId: string,
  rule: string,
  values: RuleSettingValues,
): Promise<RuleSettingRow> {
  const [row] = await ex
    .insert(anomalyRuleSettings)
    .values({ projectId, rule, ...values })
    .onConflictDoUpdate({ target: [anomalyRuleSettings.projectId, anomalyRuleSettings.rule], set: values })
    .returning();
  return row!;
}

export function listSchedules(ex: Executor, projectId: string): Promise<ShiftScheduleRow[]> {
  return ex.select().from(anomalyShiftSchedules).where(eq(anomalyShiftSchedules.projectId, projectId));
}

/** The team's schedule; the project too when given (the API names both, the engine only the team). */
export async function findSchedule(
  ex: Executor,
  teamId: string,
  projectId?: string,
): Promise<ShiftScheduleRow | null> {
  const [row] = await ex
    .select()
    .from(anomalyShiftSchedules)
    .where(
      projectId === undefined
        ? eq(anomalyShiftSchedules.teamId, teamId)
        : and(eq(anomalyShiftSchedules.projectId, projectId), eq(anomalyShiftSchedules.teamId, teamId)),
    );
  return row ?? null;
}

export async function putSchedule(
  ex: Executor,
  teamId: string,
  values: ShiftScheduleValues,
): Promise<ShiftScheduleRow> {
  const [row] = await ex
    .insert(anomalyShiftSchedules)
    .values({ teamId, ...values })
    .onConflictDoUpdate({ target: anomalyShiftSchedules.teamId, set: values })
    .returning();
  return row!;
}

/** Whether a schedule was there to delete. */
export async function deleteSchedule(ex: Executor, projectId: string, teamId: string): Promise<boolean> {
  const removed = await ex
    .delete(anomalyShiftSchedules)
    .where(and(eq(anomalyShiftSchedules.projectId, projectId), eq(anomalyShiftSchedules.teamId, teamId)))
    .returning({ teamId: anomalyShiftSchedules.teamId });
  return removed.length > 0;
}

export async function projectExists(ex: Executor, projectId: string): Promise<boolean> {
  const rows = await ex.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId));
  return rows.length > 0;
}

export async function teamInProject(ex: Executor, projectId: string, teamId: string): Promise<boolean> {
  const rows = await ex
    .select({ id: teams.id })
    .from(teams)
    .where(and(eq(teams.projectId, projectId), eq(teams.id, teamId)));
  return rows.length > 0;
}
