/**
 * The live dashboard stream's engine. Two halves:
 *
 * 1. Publisher (in the process that holds the agent's socket): an ingest
 *    observer that turns committed frames into `seat.changed` notifications
 *    when what the board shows changed: the foreground application, or a new
 *    screenshot. (Connections, states and devices the gateway announces.)
 * 2. Fan-out (in every process): listens on the notification port, so a
 *    seat connected to another server process still reaches this process's
 *    viewers. Changed seats are re-read from the database together, at most
 *    every FLUSH_MS, and each viewer gets the seats and anomalies in its own
 *    scope. Notifications carry ids only; the database is the truth.
 */
import type { AnomalyLiveMessage, BoardSeat } from '@seatwatch/shared/dashboard-api';
import { toAnomalyView } from '../anomalies/anomaly-view.js';
import type { Db } from '../db/connect.js';
import { inScope, type Scope } from '../domain/authz-policy.js';
import type { IngestHub } from '../ingest/ingest-hub.js';
import type { Notification, NotificationPort } from '../notifications/notification-port.js';
import { anomaliesById, boardSeats, seatNames } from './seats.repository.js';

export const FLUSH_MS = 150;

export interface LiveViewer {
  readonly seatScope: Scope;
  readonly anomalyScope: Scope;
  seat(seat: BoardSeat): void;
  anomaly(message: AnomalyLiveMessage): void;
}

export interface LiveHub {
  add(viewer: LiveViewer): () => void;
  readonly viewers: number;
  close(): void;
}

/** Publishes board-visible changes of committed frames (the publisher half). */
export function publishBoardChanges(
  hub: IngestHub,
  notifications: NotificationPort,
  onError: (error: unknown) => void,
) {
  // Per agent, the application last announced; agents connected here are the only ones this process sees.
  const lastApp = new Map<string, string>();
  const publish = (notification: Notification) => notifications.publish(notification).catch(onError);
  return hub.subscribe({
    committed(frames) {
      for (const frame of frames) {
        const { agentId, projectId, seatId } = frame.agent;
        const latest = frame.spans.at(-1);
        if (latest && lastApp.get(agentId) !== latest.app) {
          lastApp.set(agentId, latest.app);
          void publish({ topic: 'seat.changed', projectId, seatId, agentId, reason: 'activity' });
        }
        // A shared seat's operators change with its desktop sessions, and with the machine service's own start or stop.
        if (frame.events.some((event) => event.type === 'lifecycle')) {
          void publish({ topic: 'seat.changed', projectId, seatId, agentId, reason: 'operators' });
        }
        if (frame.screenshot) {
          void publish({ topic: 'seat.changed', projectId, seatId, agentId, reason: 'screenshot' });
        }
      }
    },
    disconnected(session) {
      lastApp.delete(session.agentId);
    },
  });
}

/** The fan-out half. */
export function createLiveHub(deps: {
  db: Db;
  notifications: NotificationPort;
  onError: (error: unknown) => void;
  flushMs?: number;
}): LiveHub {
  const viewers = new Set<LiveViewer>();
  const dirtySeats = new Set<string>();
  const dirtyAnomalies = new Map<string, AnomalyLiveMessage['type']>();
  let timer: NodeJS.Timeout | null = null;
  let flushing = false;

  const flush = async () => {
    timer = null;
    if (flushing) return schedule();
    flushing = true;
    const seatIds = [...dirtySeats];
    const anomalyIds = [...dirtyAnomalies];
    dirtySeats.clear();
    dirtyAnomalies.clear();
    try {
      if (viewers.size === 0) return;
      const anomalyRows = anomalyIds.length
        ? await anomaliesById(
            deps.db,
            anomalyIds.map(([id]) => id),
          )
        : [];
      // An anomaly changes its seat's alert badge.
      for (const row of anomalyRows) if (row.seatId) seatIds.push(row.seatId);
      const uniqueSeats = [...new Set(seatIds)];
      const tiles = uniqueSeats.length
        ? await boardSeats(deps.db, { all: true, projects: new Map() }, uniqueSeats)
        : [];
      const names = new Map(tiles.map((tile) => [tile.id, tile.name]));
      const missing = anomalyRows.flatMap((row) =>
        row.seatId && !names.has(row.seatId) ? [row.seatId] : [],
      );
      if (missing.length) {
        for (const [id, name] of await seatNames(deps.db, missing)) names.set(id, name);
      }
      const types = new Map(anomalyIds);
      const messages = anomalyRows.map((row) => ({
        type: types.get(row.id)!,
        anomaly: toAnomalyView(row, row.seatId ? (names.get(row.seatId) ?? null) : null),
      }));
      for (const viewer of viewers) {
        for (const tile of tiles)
          if (inScope(viewer.seatScope, tile.projectId, tile.teamId)) viewer.seat(tile);
        for (const message of messages) {
          const { projectId, teamId } = message.anomaly;
          if (inScope(viewer.anomalyScope, projectId, teamId)) viewer.anomaly(message);
        }
      }
    } catch (error) {
      deps.onError(error);
    } finally {
      flushing = false;
    }
  };

  const schedule = () => {
    timer ??= setTimeout(() => void flush(), deps.flushMs ?? FLUSH_MS);
  };

  const unsubscribe = deps.notifications.subscribe((notification) => {
    if (viewers.size === 0) return;
    if (notification.topic === 'seat.changed') {
      dirtySeats.add(notification.seatId);
      schedule();
      return;
    }
    if ('anomalyId' in notification && typeof notification.anomalyId === 'string') {
      const type: AnomalyLiveMessage['type'] =
        notification.topic === 'anomaly.raised'
          ? notification.opened
            ? 'anomaly.opened'
            : 'anomaly.updated'
          : 'anomaly.status_changed';
      // An opening wins over a later occurrence in the same flush.
      if (dirtyAnomalies.get(notification.anomalyId) !== 'anomaly.opened')
        dirtyAnomalies.set(notification.anomalyId, type);
      schedule();
    }
  });

  return {
    add(viewer) {
      viewers.add(viewer);
      return () => viewers.delete(viewer);
    },
    get viewers() {
      return viewers.size;
    },
    close() {
      unsubscribe();
      if (timer) clearTimeout(timer);
      viewers.clear();
    },
  };
}
