/** Which data retention may delete: per project, everything older than its retention days. */
export interface ProjectRetention {
  projectId: string;
  retentionDays: number;
}

export interface RetentionCutoff {
  projectId: string;
  /** Rows whose time is before this (ms) may go, unless held. */
  before: number;
}

const DAY_MS = 86_400_000;

export function retentionCutoffs(projects: readonly ProjectRetention[], now: number): RetentionCutoff[] {
  return projects.map(({ projectId, retentionDays }) => ({
    projectId,
    before: now - Math.max(1, Math.floor(retentionDays)) * DAY_MS,
  }));
}
