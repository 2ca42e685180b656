/**
 * Every query the web app makes, in one place: its key and its fetcher from
 * the API client. Keys are arrays whose leading parts name what the data is
 * about, so one prefix reaches everything a change touches (`seat(id)`
 * reaches that seat's detail for any day; `project(id)` every table of one
 * project). `changed` says, for each kind of change, which queries to read
 * again; the pages' mutations call it, so no page keeps its own list.
 */
import type { AnomalyStatus, AuditQuery, CaseStatus, TeamReportQuery } from '@seatwatch/shared/dashboard-api';
import { infiniteQueryOptions, type QueryClient, queryOptions } from '@tanstack/react-query';
import { admin } from './admin.js';
import { anomalies } from './anomalies.js';
import { auth, board, dashboardAccess, seats, users } from './client.js';
import { auditLog, cases, investigation, selfView } from './investigation.js';
import { reports } from './reports.js';

export const queryKeys = {
  session: ['session'] as const,
  totpEnrollment: ['totp-enrollment'] as const,
  setupLink: (token: string) => ['setup-link', token] as const,
  accountSessions: ['account-sessions'] as const,

  board: ['board'] as const,
  seat: (seatId: string) => ['seat', seatId] as const,
  seatDetail: (seatId: string, from: number, to: number) => ['seat', seatId, 'detail', from, to] as const,
  anomalies: ['anomalies'] as const,
  anomalyList: (status: AnomalyStatus | undefined) => ['anomalies', 'list', status ?? 'any'] as const,

  users: ['users'] as const,
  grantOptions: ['grant-options'] as const,
  dashboardAllowlist: ['dashboard-allowlist'] as const,
  signInThrottles: ['sign-in-throttles'] as const,
  projects: ['projects'] as const,
  project: (projectId: string) => ['project', projectId] as const,
  projectPart: (projectId: string, part: ProjectPart) => ['project', projectId, part] as const,

  investigationSeats: ['investigation', 'seats'] as const,
  cases: ['investigation', 'cases'] as const,
  caseList: (status: CaseStatus | undefined) => ['investigation', 'cases', status ?? 'any'] as const,
  caseDetail: (caseId: string) => ['investigation', 'case', caseId] as const,
  assignees: (projectId: string) => ['investigation', 'assignees', projectId] as const,
  audit: (filter: AuditQuery) => ['audit', filter] as const,
  selfView: ['self-view'] as const,

  reportTeams: ['reports', 'teams'] as const,
  teamReport: (teamId: string, params: TeamReportQuery) =>
    ['reports', 'team', teamId, params.period, params.date] as const,
};

type ProjectPart =
  | 'sites'
  | 'teams'
  | 'seats'
  | 'agents'
  | 'tokens'
  | 'allowlist'
  | 'policy'
  | 'rules'
  | 'dashboard-settings';

/** The queries the live stream keeps current: read again whenever it (re)opens. */
export const LIVE_KEYS = [queryKeys.board, queryKeys.anomalies, ['seat']] as const;

/** The status filter an anomaly list was read with (the inverse of `queryKeys.anomalyList`). */
export function anomalyListStatus(key: readonly unknown[]): AnomalyStatus | undefined {
  const status = key[2];
  return typeof status === 'string' && status !== 'any' ? (status as AnomalyStatus) : undefined;
}

function part<T>(projectId: string, name: ProjectPart, fetch: (projectId: string) => Promise<T>) {
  return queryOptions({ queryKey: queryKeys.projectPart(projectId, name), queryFn: () => fetch(projectId) });
}

export const queries = {
  session: () => queryOptions({ queryKey: queryKeys.session, queryFn: auth.session }),
  accountSessions: () => queryOptions({ queryKey: queryKeys.accountSessions, queryFn: auth.sessions }),
  setupLink: (token: string) =>
    queryOptions({ queryKey: queryKeys.setupLink(token), queryFn: () => auth.inspectSetup(token) }),
  /** Each request makes a new key, so the one shown is kept until it is used: never read again by itself. */
  totpEnrollment: () =>
    queryOptions({ queryKey: queryKeys.totpEnrollment, queryFn: auth.totpEnrollment, staleTime: Infinity }),

  board: () => queryOptions({ queryKey: queryKeys.board, queryFn: board.snapshot }),
  seatDetail: (seatId: string, from: number, to: number) =>
    queryOptions({
      queryKey: queryKeys.seatDetail(seatId, from, to),
      queryFn: () => seats.detail(seatId, from, to),
    }),
  anomalyList: (status: AnomalyStatus | undefined) =>
    queryOptions({ queryKey: queryKeys.anomalyList(status), queryFn: () => anomalies.list(status) }),

  users: () => queryOptions({ queryKey: queryKeys.users, queryFn: users.list }),
  grantOptions: () => queryOptions({ queryKey: queryKeys.grantOptions, queryFn: users.grantOptions }),
  dashboardAllowlist: () =>
    queryOptions({ queryKey: queryKeys.dashboardAllowlist, queryFn: dashboardAccess.allowlist }),
  signInThrottles: () =>
    queryOptions({ queryKey: queryKeys.signInThrottles, queryFn: dashboardAccess.signInThrottles }),
  projects: () => queryOptions({ queryKey: queryKeys.projects, queryFn: admin.projects }),
  sites: (projectId: string) => part(projectId, 'sites', admin.sites),
  teams: (projectId: string) => part(projectId, 'teams', admin.teams),
  seats: (projectId: string) => part(projectId, 'seats', admin.seats),
  agents: (projectId: string) => part(projectId, 'agents', admin.agents),
  tokens: (projectId: string) => part(projectId, 'tokens', admin.tokens),
  allowlist: (projectId: string) => part(projectId, 'allowlist', admin.allowlist),
  policy: (projectId: string) => part(projectId, 'policy', admin.policy),
  rules: (projectId: string) => part(projectId, 'rules', admin.rules),
  dashboardSettings: (projectId: string) =>
    part(projectId, 'dashboard-settings', dashboardAccess.projectSettings),

  investigationSeats: () =>
    queryOptions({ queryKey: queryKeys.investigationSeats, queryFn: investigation.seats }),
  reportTeams: () => queryOptions({ queryKey: queryKeys.reportTeams, queryFn: reports.teams }),
  /** Each read of a report is audited: read when asked for, not again on focus or by itself. */
  teamReport: (teamId: string, params: TeamReportQuery) =>
    queryOptions({
      queryKey: queryKeys.teamReport(teamId, params),
      queryFn: () => reports.team(teamId, params),
      staleTime: Number.POSITIVE_INFINITY,
      refetchOnWindowFocus: false,
    }),
  caseList: (status: CaseStatus | undefined) =>
    queryOptions({ queryKey: queryKeys.caseList(status), queryFn: () => cases.list(status) }),
  caseDetail: (caseId: string) =>
    queryOptions({ queryKey: queryKeys.caseDetail(caseId), queryFn: () => cases.get(caseId) }),
  assignees: (projectId: string) =>
    queryOptions({ queryKey: queryKeys.assignees(projectId), queryFn: () => cases.assignees(projectId) }),
  /** Newest first, a page at a time: each next page starts before the last one's oldest entry. */
  audit: (filter: AuditQuery) =>
    infiniteQueryOptions({
      queryKey: queryKeys.audit(filter),
      queryFn: ({ pageParam }) =>
        auditLog.page({ ...filter, ...(pageParam ? { beforeSeq: pageParam } : {}) }),
      initialPageParam: null as number | null,
      getNextPageParam: (page) => page.nextBeforeSeq,
    }),
  /** The operator's self-view: opened with the one-time token if `takeToken` has one, else read from the session it opened. */
  selfView: (takeToken: () => string | null) =>
    queryOptions({
      queryKey: queryKeys.selfView,
      queryFn: () => {
        const token = takeToken();
        return token ? selfView.open(token) : selfView.read();
      },
    }),
};

type Key = readonly unknown[];
const readAgain = (client: QueryClient, keys: readonly Key[]) =>
  Promise.all(keys.map((queryKey) => client.invalidateQueries({ queryKey })));

/**
 * What each kind of change makes out of date. Seats, sites and teams also
 * show on the board, in the grant editor (teams) and in the investigation
 * seat picker, so a structure change reaches those too.
 */
export const changed = {
  projects: (client: QueryClient) =>
    readAgain(client, [queryKeys.projects, queryKeys.grantOptions, queryKeys.board]),
  structure: (client: QueryClient, projectId: string) =>
    readAgain(client, [
      queryKeys.projectPart(projectId, 'sites'),
      queryKeys.projectPart(projectId, 'teams'),
      queryKeys.projectPart(projectId, 'seats'),
      queryKeys.board,
      queryKeys.grantOptions,
      queryKeys.investigationSeats,
    ]),
  projectPart: (client: QueryClient, projectId: string, name: ProjectPart) =>
    readAgain(client, [queryKeys.projectPart(projectId, name)]),
  users: (client: QueryClient) => readAgain(client, [queryKeys.users]),
  accountSessions: (client: QueryClient) => readAgain(client, [queryKeys.accountSessions]),
  cases: (client: QueryClient) => readAgain(client, [queryKeys.cases]),
};

/**
 * On signing out, everything read for this account is dropped, so whoever
 * signs in next in this tab never sees it, even for a moment. The session
 * itself stays: the sign-in page reads it.
 */
export function forgetAccountData(client: QueryClient): void {
  client.removeQueries({ predicate: (query) => query.queryKey[0] !== queryKeys.session[0] });
}
