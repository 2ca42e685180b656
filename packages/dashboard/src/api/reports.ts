/** Team reports (issue #13) as the web app calls them; the types are the shared contract. */
import type { ReportTeam, TeamReport, TeamReportQuery } from '@seatwatch/shared/dashboard-api';
import { query, request } from './http.js';

const id = encodeURIComponent;

export const reports = {
  teams: () => request<ReportTeam[]>('GET', '/api/v1/reports/teams'),
  team: (teamId: string, params: TeamReportQuery) =>
    request<TeamReport>('GET', `/api/v1/reports/teams/${id(teamId)}${query({ ...params })}`),
  /** A plain link: the browser downloads the file with the session cookie (a GET changes nothing). */
  csvUrl: (teamId: string, params: TeamReportQuery) =>
    `/api/v1/reports/teams/${id(teamId)}/csv${query({ ...params })}`,
};
