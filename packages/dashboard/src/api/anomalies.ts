/** The anomaly API (issue #5), as the alerts feed uses it. */
import { query, request } from './http.js';

export type AnomalyStatus = 'open' | 'acknowledged' | 'resolved' | 'false_positive';
export type AnomalySeverity = 'low' | 'warning' | 'medium' | 'high' | 'critical';

/** Strings from the seat (operator, key) are untrusted text. */
export interface AnomalyItem {
  id: string;
  projectId: string;
  siteId: string | null;
  teamId: string | null;
  seatId: string | null;
  seatName: string | null;
  agentId: string | null;
  rule: string;
  severity: AnomalySeverity;
  operator: string | null;
  key: string;
  firstAt: number;
  lastAt: number;
  count: number;
  status: AnomalyStatus;
  statusBy: string | null;
  statusAt: number | null;
  comment: string | null;
}

export const anomalies = {
  list: (status?: AnomalyStatus) =>
    request<AnomalyItem[]>('GET', `/api/v1/anomalies${query({ status, limit: 200 })}`),
  setStatus: (id: string, status: AnomalyStatus, comment: string) =>
    request<AnomalyItem>('POST', `/api/v1/anomalies/${encodeURIComponent(id)}/status`, { status, comment }),
};
