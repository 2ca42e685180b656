import type { BoardSeat } from '@seatwatch/shared/dashboard-api';

/** A board seat with every field set to something plain, and the given ones over it. */
export const boardSeat = (over: Partial<BoardSeat>): BoardSeat => ({
  id: 's',
  projectId: 'p',
  siteId: null,
  teamId: null,
  name: 'seat',
  agentId: null,
  hostname: null,
  operator: null,
  operators: [],
  connected: true,
  state: 'active',
  stateSince: 0,
  app: null,
  title: null,
  lastSeenAt: null,
  openAlerts: 0,
  alertSeverity: null,
  screenshot: null,
  ...over,
});
