/**
 * The collector's administration API (/api/v1/admin/projects…), as the
 * administration pages use it; the types are the shared contract (times
 * arrive as ISO strings there).
 */
import type { Policy } from '@seatwatch/shared';
import type {
  AddAllowlistEntry,
  AllowlistEntry,
  CreateProject,
  CreateSeat,
  CreateSite,
  CreateTeam,
  EnrollmentToken,
  IssuedToken,
  IssueToken,
  MoveSeats,
  MoveSeatsCsv,
  Project,
  ProjectAgent,
  ProjectPolicy,
  PutPolicy,
  RuleSettingsList,
  RuleSettingUpdate,
  RuleSettingView,
  Seat,
  SeatMoveResult,
  Site,
  Team,
  UpdateSeat,
} from '@seatwatch/shared/dashboard-api';
import { request } from './http.js';

const base = (projectId: string) => `/api/v1/admin/projects/${encodeURIComponent(projectId)}`;

export const admin = {
  projects: () => request<Project[]>('GET', '/api/v1/admin/projects'),
  createProject: (name: string) =>
    request<Project>('POST', '/api/v1/admin/projects', { name } satisfies CreateProject),
  sites: (projectId: string) => request<Site[]>('GET', `${base(projectId)}/sites`),
  createSite: (projectId: string, name: string) =>
    request<Site>('POST', `${base(projectId)}/sites`, { name } satisfies CreateSite),
  teams: (projectId: string) => request<Team[]>('GET', `${base(projectId)}/teams`),
  createTeam: (projectId: string, name: string, siteId: string | null) =>
    request<Team>('POST', `${base(projectId)}/teams`, {
      name,
      ...(siteId ? { siteId } : {}),
    } satisfies CreateTeam),
  seats: (projectId: string) => request<Seat[]>('GET', `${base(projectId)}/seats`),
  createSeat: (projectId: string, name: string, siteId: string | null, teamId: string | null) =>
    request<Seat>('POST', `${base(projectId)}/seats`, {
      name,
      ...(siteId ? { siteId } : {}),
      ...(teamId ? { teamId } : {}),
    } satisfies CreateSeat),
  /** Renames or moves one seat; a field left out stays, null clears it. */
  updateSeat: (projectId: string, seatId: string, change: UpdateSeat) =>
    request<Seat>('PATCH', `${base(projectId)}/seats/${encodeURIComponent(seatId)}`, change),
  /** Moves seats to a site (undefined: the team's) and a team (null: none); all or nothing. */
  moveSeats: (projectId: string, seats: string[], siteId: string | null | undefined, teamId: string | null) =>
    request<SeatMoveResult>('POST', `${base(projectId)}/seats/move`, {
      seats,
      ...(siteId === undefined ? {} : { siteId }),
      teamId,
    } satisfies MoveSeats),
  /** Moves seats as a CSV file says (header seat,site,team); all or nothing. */
  moveSeatsCsv: (projectId: string, csv: string) =>
    request<SeatMoveResult>('POST', `${base(projectId)}/seats/move-csv`, { csv } satisfies MoveSeatsCsv),
  /** The project's agents with the version each reported in its last hello. */
  agents: (projectId: string) => request<ProjectAgent[]>('GET', `${base(projectId)}/agents`),
  tokens: (projectId: string) => request<EnrollmentToken[]>('GET', `${base(projectId)}/tokens`),
  issueToken: (projectId: string, body: IssueToken) =>
    request<IssuedToken>('POST', `${base(projectId)}/tokens`, body),
  revokeToken: (projectId: string, tokenId: string) =>
    request<EnrollmentToken>('POST', `${base(projectId)}/tokens/${encodeURIComponent(tokenId)}/revoke`),
  allowlist: (projectId: string) => request<AllowlistEntry[]>('GET', `${base(projectId)}/allowlist`),
  addAllowlist: (projectId: string, body: AddAllowlistEntry) =>
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
    request<ProjectPolicy>('PUT', `${base(projectId)}/policy`, {
      policy,
      noticeText,
      push: true,
    } satisfies PutPolicy),
};
