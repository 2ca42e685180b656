/** The anomaly API (issue #5), as the alerts feed uses it; the types are the shared contract. */
import type { Anomaly, AnomalyStatus, AnomalyStatusChange } from '@seatwatch/shared/dashboard-api';
import { query, request } from './http.js';

export const anomalies = {
  /** Newest lastAt first. */
  list: (status?: AnomalyStatus) =>
    request<Anomaly[]>('GET', `/api/v1/anomalies${query({ status, limit: 200 })}`),
  setStatus: (id: string, change: AnomalyStatusChange) =>
    request<Anomaly>('POST', `/api/v1/anomalies/${encodeURIComponent(id)}/status`, change),
};
