/**
 * What people do with anomalies: list and read them (with the seat's
 * name and the screenshots nearest to them), and change their status
 * (acknowledge, resolve, mark a false positive, reopen) with a comment.
 * The server closes what an agent's return ends through the same service.
 * Every change queues its alerts in its own transaction and is announced
 * after the commit.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Anomaly, AnomalyStatus, NearbyScreenshot } from '@seatwatch/shared/dashboard-api';
import type { Db } from '../db/connect.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import {
  type AnomalyPageFilter,
  type AnomalyPlace,
  type AnomalyRow,
  findAnomaly,
  findAnomalyPlace,
  listAnomalies,
  listAnomalyPage,
  type ResolvedRow,
  resolveBySystem,
  screenshotsAround,
  seatNames,
  setAnomalyStatus,
} from './anomalies.repository.js';
import { toAnomalyView } from './anomaly-view.js';

export interface AnomalyService {
  /** One page, and whether more follow. */
  list(filter: AnomalyPageFilter): Promise<{ page: Anomaly[]; more: boolean }>;
  /** The anomaly and the seat's screenshots just before and after its first and its last occurrence. */
  detail(id: string): Promise<{ anomaly: Anomaly; screenshots: NearbyScreenshot[] }>;
  /** Where it belongs (not_found when it does not exist). */
  placeOf(id: string): Promise<AnomalyPlace>;
  /** not_found, or conflict when reopening while a newer open anomaly of the same agent, rule and key exists. */
  changeStatus(change: { id: string; status: AnomalyStatus; comment: string; by: string }): Promise<Anomaly>;
  /** The agents are back: resolves their open anomalies of these rules (and key) as the system. */
  resolveReturned(target: {
    agentIds: readonly string[];
    rules: readonly string[];
    comment: string;
    key?: string;
  }): Promise<void>;
}

/** What the anomaly services need: the database, the notifications they announce changes on, the clock. */
export interface AnomalyServiceDeps {
  db: Db;
  notifications: NotificationPort;
  now: () => number;
  /** A notification that could not be published. */
  onError: (error: unknown) => void;
}

export function createAnomalyService(deps: AnomalyServiceDeps): AnomalyService {
  const { db } = deps;

  const announce = (row: ResolvedRow) =>
    deps.notifications
      .publish({
        topic: 'anomaly.status_changed',
        projectId: row.projectId,
        anomalyId: row.id,
        status: row.status,
      })
      .catch(deps.onError);

  return {
    async list(filter) {
      const rows = await listAnomalyPage(db, { ...filter, limit: filter.limit + 1 });
      return { page: await viewsOf(db, rows.slice(0, filter.limit)), more: rows.length > filter.limit };
    },

    async detail(id) {
      const row = await findAnomaly(db, id);
      if (!row) throw new SeatwatchError('not_found', 'no such anomaly');
      const [anomaly] = await viewsOf(db, [row]);
      return { anomaly: anomaly!, screenshots: await nearestScreenshots(db, anomaly!) };
    },

    async placeOf(id) {
      const place = await findAnomalyPlace(db, id);
      if (!place) throw new SeatwatchError('not_found', 'no such anomaly');
      return place;
    },

    async changeStatus(change) {
      const row = await setAnomalyStatus(db, { ...change, now: deps.now() });
      if (row === 'not_found') throw new SeatwatchError('not_found', 'no such anomaly');
      if (row === 'conflict')
        throw new SeatwatchError('conflict', 'a newer open anomaly of this agent, rule and key exists');
      announce(row);
      const [view] = await viewsOf(db, [row]);
      return view!;
    },

    async resolveReturned(target) {
      const rows = await resolveBySystem(db, { ...target, now: deps.now() });
      for (const row of rows) announce(row);
    },
  };
}

/** A project's anomalies for the admin API (raw rows, newest first). */
export function listProjectAnomalies(
  db: Db,
  filter: { projectId: string; status?: AnomalyStatus | undefined; rule?: string | undefined; limit: number },
): Promise<AnomalyRow[]> {
  return listAnomalies(db, filter);
}

/** One anomaly as the alerts show it; null when it no longer exists. */
export async function loadAnomalyView(db: Db, id: string): Promise<Anomaly | null> {
  const row = await findAnomaly(db, id);
  if (!row) return null;
  const [view] = await viewsOf(db, [row]);
  return view ?? null;
}

/** Views of the given rows, with their seats' names in one query. */
async function viewsOf(db: Db, rows: readonly AnomalyRow[]): Promise<Anomaly[]> {
  const names = await seatNames(db, [...new Set(rows.flatMap((r) => (r.seatId ? [r.seatId] : [])))]);
  return rows.map((row) => toAnomalyView(row, row.seatId ? (names.get(row.seatId) ?? null) : null));
}

async function nearestScreenshots(
  db: Db,
  anomaly: { seatId: string | null; firstAt: number; lastAt: number },
): Promise<NearbyScreenshot[]> {
  if (!anomaly.seatId) return [];
  const rows = await screenshotsAround(db, anomaly.seatId, [...new Set([anomaly.firstAt, anomaly.lastAt])]);
  return rows.map((r) => {
    const time = r.time.getTime();
    return { id: String(r.id), time, offsetMs: time - anomaly.firstAt };
  });
}
