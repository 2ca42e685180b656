/**
 * The collector's administration API (/api/v1/admin/projects…), as the
 * administration pages use it. These shapes mirror the server's admin
 * schemas (packages/server/src/routes/api/admin/admin-schemas.ts); times
 * arrive as ISO strings there.
 */
import type { Notice, Policy } from '@seatwatch/shared';
import type { RuleSettingsList, RuleSettingUpdate, RuleSettingView } from '@seatwatch/shared/dashboard-api';
import { request } from './http.js';

export interface Project {
  id: string;
  name: string;
  createdAt: string;
}
export interface Site {
  id: string;
  projectId: string;
  name: string;
}
export interface Team {
  id: string;
  projectId: string;
  siteId: string | null;
  name: string;
}
export interface Seat {
  id: string;
  projectId: string;
  siteId: string | null;
  teamId: string | null;
  name: string;
  legalHold: boolean;
}
export interface EnrollmentToken {
  id: string;
  siteId: string | null;
  label: string;
  expiresAt: string;
  maxUses: number;
  uses: number;
  revokedAt: string | null;
  lastUsedAt: string | null;
  createdAt: string;
}
export interface IssuedToken extends EnrollmentToken {
  /** The secret: in this answer only. */
  token: string;
}
export interface AllowlistEntry {
  id: string;
  siteId: string | null;
  cidr: string;
  note: string;
}
export interface ProjectPolicy {
  siteId: string | null;
  policy: Policy;
  notice: Notice;
}

const base = (projectId: string) => `/api/v1/admin/projects/${encodeURIComponent(projectId)}`;

export const admin = {
  projects: () => request<Project[]>('GET', '/api/v1/admin/projects'),
  createProject: (name: string) => request<Project>('POST', '/api/v1/admin/projects', { name }),
  sites: (projectId: string) => request<Site[]>('GET', `${base(projectId)}/sites`),
  createSite: (projectId: string, name: string) =>
    request<Site>('POST', `${base(projectId)}/sites`, { name }),
  teams: (projectId: string) => request<Team[]>('GET', `${base(projectId)}/teams`),
  createTeam: (projectId: string, name: string, siteId: string | null) =>
    request<Team>('POST', `${base(projectId)}/teams`, { name, ...(siteId ? { siteId } : {}) }),
  seats: (projectId: string) => request<Seat[]>('GET', `${base(projectId)}/seats`),
  createSeat: (projectId: string, name: string, siteId: string | null, teamId: string | null) =>
    request<Seat>('POST', `${base(projectId)}/seats`, {
      name,
      ...(siteId ? { siteId } : {}),
      ...(teamId ? { teamId } : {}),
    }),
  tokens: (projectId: string) => request<EnrollmentToken[]>('GET', `${base(projectId)}/tokens`),
  issueToken: (
    projectId: string,
    body: { label: string; siteId?: string; expiresInHours: number; maxUses: number },
  ) => request<IssuedToken>('POST', `${base(projectId)}/tokens`, body),
  revokeToken: (projectId: string, tokenId: string) =>
    request<EnrollmentToken>('POST', `${base(projectId)}/tokens/${encodeURIComponent(tokenId)}/revoke`),
  allowlist: (projectId: string) => request<AllowlistEntry[]>('GET', `${base(projectId)}/allowlist`),
  addAllowlist: (projectId: string, body: { cidr: string; note: string; siteId?: string }) =>
    request<AllowlistEntry>('POST', `${base(projectId)}/allowlist`, body),
  removeAllowlist: (projectId: string, entryId: string) =>
    request<void>('DELETE', `${base(projectId)}/allowlist/${encodeURIComponent(entryId)}`),
  policy: (projectId: string) => request<ProjectPolicy>('GET', `${base(projectId)}/policy`),
  rules: (projectId: string) =>
    request<RuleSettingsList>('GET', `/api/v1/anomalies/projects/${encodeURIComponent(projectId)}/rules`),
  saveRule: (projectId: string, rule: string, body: RuleSettingUpdate) =>
    request<RuleSettingView>(
      'PUT',
      `/api/v1/anomalies/projects/${encodeURIComponent(projectId)}/rules/${encodeURIComponent(rule)}`,
      body,
    ),
  savePolicy: (projectId: string, policy: Policy, noticeText: string) =>
    request<ProjectPolicy>('PUT', `${base(projectId)}/policy`, { policy, noticeText, push: true }),
};
