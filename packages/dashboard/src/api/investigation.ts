/** The investigation API (issue #7) as the web app calls it; the types are the shared contract. */
import type {
  AddCaseItemRequest,
  AssigneeOption,
  AuditPage,
  AuditQuery,
  CaseDetail,
  CaseStatus,
  CaseSummary,
  CreateCaseRequest,
  Purpose,
  SelfView,
  Timeline,
  TimelineRequest,
  TimelineSeat,
  TimelineSummary,
  TimelineSummaryRequest,
  UpdateCaseRequest,
} from '@seatwatch/shared/dashboard-api';
import { ApiError, query, request } from './http.js';

const id = encodeURIComponent;

/** A POST that answers bytes (a screenshot, a bundle), with the CSRF header like every other change. */
async function postForBlob(path: string, body: unknown, csrf: string | null): Promise<Blob> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) {
    const data = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
    throw new ApiError(response.status, data.error ?? 'http_error', data.message ?? response.statusText);
  }
  return response.blob();
}

export const investigation = {
  seats: () => request<TimelineSeat[]>('GET', '/api/v1/investigation/seats'),
  timeline: (body: TimelineRequest) => request<Timeline>('POST', '/api/v1/investigation/timeline', body),
  /** The visual timeline zoomed out: one request per view, recorded once. */
  timelineSummary: (body: TimelineSummaryRequest) =>
    request<TimelineSummary>('POST', '/api/v1/investigation/timeline/summary', body),
  /** The original screenshot; the server records the look with its purpose first. */
  viewScreenshot: (screenshotId: string, purpose: Purpose, csrf: string | null) =>
    postForBlob(`/api/v1/investigation/screenshots/${id(screenshotId)}/view`, purpose, csrf),
  thumbnailUrl: (screenshotId: string) => `/api/v1/screenshots/${id(screenshotId)}/thumbnail`,
};

export const cases = {
  list: (status?: CaseStatus) =>
    request<CaseSummary[]>('GET', `/api/v1/investigation/cases${query({ status })}`),
  create: (body: CreateCaseRequest) => request<CaseDetail>('POST', '/api/v1/investigation/cases', body),
  get: (caseId: string) => request<CaseDetail>('GET', `/api/v1/investigation/cases/${id(caseId)}`),
  update: (caseId: string, body: UpdateCaseRequest) =>
    request<CaseDetail>('PATCH', `/api/v1/investigation/cases/${id(caseId)}`, body),
  addNote: (caseId: string, body: string) =>
    request<CaseDetail>('POST', `/api/v1/investigation/cases/${id(caseId)}/notes`, { body }),
  addItem: (caseId: string, item: AddCaseItemRequest) =>
    request<CaseDetail>('POST', `/api/v1/investigation/cases/${id(caseId)}/items`, item),
  removeItem: (caseId: string, itemId: string) =>
    request<CaseDetail>('DELETE', `/api/v1/investigation/cases/${id(caseId)}/items/${id(itemId)}`),
  legalHold: (caseId: string, hold: boolean, reason: string) =>
    request<CaseDetail>('POST', `/api/v1/investigation/cases/${id(caseId)}/legal-hold`, { hold, reason }),
  assignees: (projectId: string) =>
    request<AssigneeOption[]>('GET', `/api/v1/investigation/projects/${id(projectId)}/assignees`),
  exportBundle: (caseId: string, reason: string | undefined, csrf: string | null) =>
    postForBlob(`/api/v1/investigation/cases/${id(caseId)}/export`, reason ? { reason } : {}, csrf),
};

export const auditLog = {
  page: (filter: AuditQuery) =>
    request<AuditPage>(
      'GET',
      `/api/v1/investigation/audit${query({ ...filter } as Record<string, string | number | undefined>)}`,
    ),
};

export const selfView = {
  open: (token: string) => request<SelfView>('POST', '/api/v1/self-view/session', { token }),
  read: () => request<SelfView>('GET', '/api/v1/self-view'),
  thumbnailUrl: (screenshotId: string) => `/api/v1/self-view/screenshots/${id(screenshotId)}/thumbnail`,
};
