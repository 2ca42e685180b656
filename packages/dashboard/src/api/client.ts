/** Typed calls to the collector's dashboard API; the types come from @seatwatch/shared. */
import type {
  Board,
  CaptureResponse,
  ChangePasswordRequest,
  CreateUserRequest,
  DashboardAllowlist,
  GrantOptions,
  ProjectDashboardSettings,
  SeatDetail,
  SessionInfo,
  SessionSummary,
  SetupCompleteRequest,
  SetupInspectResponse,
  SetupLinkResponse,
  SignInThrottle,
  TotpEnrollment,
  UpdateUserRequest,
  UserRow,
} from '@seatwatch/shared/dashboard-api';
import { query, request, setCsrfToken } from './http.js';

async function withCsrf(promise: Promise<SessionInfo>): Promise<SessionInfo> {
  const info = await promise;
  setCsrfToken(info.csrfToken);
  return info;
}

export const auth = {
  session: () => withCsrf(request<SessionInfo>('GET', '/api/v1/auth/session')),
  login: (username: string, password: string) =>
    withCsrf(request<SessionInfo>('POST', '/api/v1/auth/login', { username, password })),
  totp: (code: string) => withCsrf(request<SessionInfo>('POST', '/api/v1/auth/totp', { code })),
  totpEnrollment: () => request<TotpEnrollment>('POST', '/api/v1/auth/totp/enrollment'),
  logout: () => withCsrf(request<SessionInfo>('POST', '/api/v1/auth/logout')),
  inspectSetup: (token: string) =>
    request<SetupInspectResponse>('POST', '/api/v1/auth/setup/inspect', { token }),
  completeSetup: (body: SetupCompleteRequest) =>
    withCsrf(request<SessionInfo>('POST', '/api/v1/auth/setup/complete', body)),
  sessions: () => request<SessionSummary[]>('GET', '/api/v1/auth/sessions'),
  changePassword: (body: ChangePasswordRequest) =>
    request<{ otherSessionsEnded: number }>('POST', '/api/v1/auth/password', body),
  revokeSession: (id: string) => request<void>('DELETE', `/api/v1/auth/sessions/${encodeURIComponent(id)}`),
};

export const board = {
  snapshot: () => request<Board>('GET', '/api/v1/board'),
};

export const seats = {
  detail: (id: string, from: number, to: number) =>
    request<SeatDetail>('GET', `/api/v1/seats/${encodeURIComponent(id)}${query({ from, to })}`),
  capture: (id: string) =>
    request<CaptureResponse>('POST', `/api/v1/seats/${encodeURIComponent(id)}/capture`),
  thumbnailUrl: (screenshotId: string) => `/api/v1/screenshots/${encodeURIComponent(screenshotId)}/thumbnail`,
};

export const users = {
  list: () => request<UserRow[]>('GET', '/api/v1/admin/users'),
  grantOptions: () => request<GrantOptions>('GET', '/api/v1/admin/users/grant-options'),
  create: (body: CreateUserRequest) => request<SetupLinkResponse>('POST', '/api/v1/admin/users', body),
  update: (id: string, body: UpdateUserRequest) =>
    request<UserRow>('PATCH', `/api/v1/admin/users/${encodeURIComponent(id)}`, body),
  resetLink: (id: string) =>
    request<SetupLinkResponse>('POST', `/api/v1/admin/users/${encodeURIComponent(id)}/setup-link`),
  revokeSessions: (id: string) =>
    request<void>('DELETE', `/api/v1/admin/users/${encodeURIComponent(id)}/sessions`),
};

export const dashboardAccess = {
  signInThrottles: () => request<SignInThrottle[]>('GET', '/api/v1/admin/sign-in-throttles'),
  clearSignInThrottle: (id: string) =>
    request<void>('DELETE', `/api/v1/admin/sign-in-throttles/${encodeURIComponent(id)}`),
  allowlist: () => request<DashboardAllowlist>('GET', '/api/v1/admin/dashboard-allowlist'),
  saveAllowlist: (body: DashboardAllowlist) =>
    request<DashboardAllowlist>('PUT', '/api/v1/admin/dashboard-allowlist', body),
  projectSettings: (projectId: string) =>
    request<ProjectDashboardSettings>(
      'GET',
      `/api/v1/admin/projects/${encodeURIComponent(projectId)}/dashboard-settings`,
    ),
  saveProjectSettings: (projectId: string, body: ProjectDashboardSettings) =>
    request<ProjectDashboardSettings>(
      'PUT',
      `/api/v1/admin/projects/${encodeURIComponent(projectId)}/dashboard-settings`,
      body,
    ),
};
