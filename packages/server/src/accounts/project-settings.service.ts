/**
 * Per-project dashboard settings: whether supervisors see clear thumbnails,
 * and whether every account of the project needs a second factor.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Db } from '../db/connect.js';
import { type Grant, roleRequiresTotp } from '../domain/authz-policy.js';
import * as repo from './accounts.repository.js';

export type ProjectSettingsService = ReturnType<typeof createProjectSettingsService>;

export function createProjectSettingsService(deps: { db: Db; now: () => number }) {
  const { db } = deps;
  const projectSettings = async (projectId: string): Promise<repo.ProjectDashboardSettingsRecord> => {
    const settings = await repo.projectSettings(db, [projectId]);
    return settings.get(projectId) ?? repo.DEFAULT_PROJECT_DASHBOARD_SETTINGS;
  };
  return {
    projectSettings,

    async saveProjectSettings(projectId: string, settings: repo.ProjectDashboardSettingsRecord) {
      if (!(await repo.existingProjectIds(db, [projectId])).has(projectId)) {
        throw new SeatwatchError('not_found', 'no such project');
      }
      await repo.putProjectSettings(db, projectId, settings, new Date(deps.now()));
      return projectSettings(projectId);
    },
  };
}

/** Whether an account with these grants needs a second factor: by its role, or because a project of its asks. */
export async function totpRequired(db: Db, grants: readonly Grant[]): Promise<boolean> {
  if (grants.some((grant) => roleRequiresTotp(grant.role))) return true;
  const projectIds = [...new Set(grants.flatMap((grant) => (grant.projectId ? [grant.projectId] : [])))];
  const settings = await repo.projectSettings(db, projectIds);
  return [...settings.values()].some((each) => each.requireTotp);
}
