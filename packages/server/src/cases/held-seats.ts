/**
 * The set of seats under legal hold, kept in memory for the gateway
 * (ingest/held-seats.ts): a held seat's frames are kept verbatim from the
 * moment its hold is placed. The set is read again whenever a hold changes:
 * at once in the process that changed it (before its answer goes out), in
 * every other process when the `legal_hold.changed` notification arrives,
 * and every minute in case a notification was lost (they are best effort).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/connect.js';
import type { HeldSeats } from '../ingest/held-seats.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import { heldSeatIds } from './legal-hold.repository.js';

export interface HeldSeatsCache extends HeldSeats {
  /** Reads the set again; resolves once a read that started after this call has finished. */
  refresh(): Promise<void>;
  /** A hold changed in this process: read the set again here, then tell the other processes. */
  changed(): Promise<void>;
  close(): void;
}

export const HELD_SEATS_REFRESH_MS = 60_000;

export async function createHeldSeatsCache(deps: {
  db: Db;
  notifications: NotificationPort;
  logger: FastifyBaseLogger;
  refreshIntervalMs?: number;
}): Promise<HeldSeatsCache> {
  let seats = new Set<string>();
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;

  const read = async () => {
    seats = new Set(await heldSeatIds(deps.db));
  };
  // A read in flight may have started before the change that asks for this one: queue one more after it.
  const refresh = (): Promise<void> => {
    if (!running) {
      running = read().finally(() => {
        running = null;
      });
      return running;
    }
    next ??= running
      .catch(() => {})
      .then(() => {
        next = null;
        return refresh();
      });
    return next;
  };
  const refreshQuietly = () => {
    refresh().catch((error: unknown) => deps.logger.error({ err: error }, 'could not read the held seats'));
  };

  await refresh();
  const unsubscribe = deps.notifications.subscribe((notification) => {
    if (notification.topic === 'legal_hold.changed') refreshQuietly();
  });
  const timer = setInterval(refreshQuietly, deps.refreshIntervalMs ?? HELD_SEATS_REFRESH_MS);
  timer.unref();

  return {
    has: (seatId) => seats.has(seatId),
    refresh,
    async changed() {
      await refresh();
      await deps.notifications.publish({ topic: 'legal_hold.changed' }).catch((error: unknown) => {
        deps.logger.error({ err: error }, 'could not announce a legal hold change to the other processes');
      });
    },
    close() {
      clearInterval(timer);
      unsubscribe();
    },
  };
}
