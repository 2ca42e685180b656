/**
 * Keeps the daily partitions of the telemetry tables made ahead of time
 * (issue #15): at start and every few hours, every day from yesterday to a
 * week ahead gets its partition. Rows of a day without one are never
 * refused: they land in the table's DEFAULT partition, and move into the
 * day's partition when it is made (an agent whose clock ran ahead).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../db/connect.js';
import { createPartitions, type Day } from './partitions.repository.js';

const DAY_MS = 86_400_000;
/** Days made ahead: a collector down for less than this finds today's partition on its return. */
export const DAYS_AHEAD = 7;
const MAINTENANCE_INTERVAL_MS = 6 * 3_600_000;

/** The UTC day of a time, as yyyy-mm-dd. */
export const utcDay = (ms: number): Day => new Date(ms).toISOString().slice(0, 10);

/** The start of the UTC day a time falls in (ms). */
export const startOfUtcDay = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

/** Makes the partitions from yesterday to DAYS_AHEAD days ahead that are missing; returns how many it made. */
export async function makeComingPartitions(ex: Executor, now: number): Promise<number> {
  return createPartitions(ex, utcDay(now - DAY_MS), utcDay(now + DAYS_AHEAD * DAY_MS));
}

export interface PartitionMaintenance {
  stop(): Promise<void>;
}

/** Runs makeComingPartitions now and every six hours; a failure is logged and tried again next time. */
export function schedulePartitionMaintenance(deps: {
  db: Executor;
  now: () => number;
  logger: FastifyBaseLogger;
}): PartitionMaintenance {
  let running: Promise<unknown> | null = null;
  const run = () => {
    if (running) return;
    running = makeComingPartitions(deps.db, deps.now())
      .then((made) => {
        if (made > 0) deps.logger.info({ made }, 'daily telemetry partitions made');
      })
      .catch((error: unknown) => deps.logger.error({ err: error }, 'could not make the coming partitions'))
      .finally(() => {
        running = null;
      });
  };
  run();
  const timer = setInterval(run, MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
