/**
 * This process in the registry of live collectors (issue #15). It registers
 * before it accepts agents, beats every `heartbeatMs`, and on each beat looks
 * for processes whose beat is older than `staleAfterMs`: those were killed
 * outright (or lost their database), so no close will ever be seen for the
 * agents they held. It ends those sessions as a close does (the agent row's
 * session cleared, `seat.changed` announced to every process's live boards)
 * and removes the dead row; the database lets one process do each, once.
 * A clean shutdown removes this process's row after its sockets are closed.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from '../db/connect.js';
import { checkStaleBound, staleCollectors } from '../domain/collector-liveness.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import {
  beat,
  type ReapedAgent,
  readBeats,
  reapCollector,
  reapSessionsWithoutCollector,
  registerCollector,
  removeCollector,
} from './collectors.repository.js';

export interface CollectorRegistryOptions {
  heartbeatMs: number;
  staleAfterMs: number;
}

export interface CollectorRegistryLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface CollectorRegistry {
  /** This process's id, written on every agent session it opens (agents.collector_id). */
  readonly id: string;
  /** Registers this process and starts beating. */
  start(): Promise<void>;
  /** One beat and one look for dead processes now (the timer does this every heartbeatMs). */
  tick(): Promise<void>;
  /** Stops beating and removes this process's row. */
  stop(): Promise<void>;
}

export function createCollectorRegistry(deps: {
  db: Db;
  notifications: NotificationPort;
  logger: CollectorRegistryLogger;
  options: CollectorRegistryOptions;
  id?: string;
  /** After a dead process's agents were marked disconnected by this one (the anomaly engine's not_back). */
  onReaped?: (agents: ReapedAgent[]) => void;
}): CollectorRegistry {
  const { db, options, logger } = deps;
  checkStaleBound(options.heartbeatMs, options.staleAfterMs);
  const id = deps.id ?? randomUUID();
  const self = { id, host: hostname(), pid: process.pid };
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function announce(reaped: ReapedAgent[]): Promise<void> {
    deps.onReaped?.(reaped);
    for (const agent of reaped) {
      await deps.notifications
        .publish({ topic: 'seat.changed', ...agent, reason: 'disconnected' })
        .catch((error: unknown) => logger.warn({ err: error }, 'could not announce a disconnected seat'));
    }
  }

  async function reapDead(): Promise<void> {
    const { now, beats } = await readBeats(db);
    const dead = staleCollectors(beats, now, id, options.staleAfterMs);
    for (const stale of dead) {
      const reaped = await reapCollector(db, beats.find((b) => b.id === stale.id)!);
      if (!reaped) continue;
      logger.warn(
        { collector: stale.id, lastBeat: new Date(stale.heartbeatAt).toISOString(), agents: reaped.length },
        'a collector process stopped beating: its agents are marked disconnected',
      );
      await announce(reaped);
    }
  }

  async function tick(): Promise<void> {
    if (!(await beat(db, id))) {
      // Taken for dead (a beat missed for longer than the bound): come back. The sessions the others
      // ended stay ended until those agents next say hello.
      logger.warn({ collector: id }, 'this collector was taken for dead by another; registering again');
      await registerCollector(db, self);
    }
    await reapDead();
  }

  const runTick = () => {
    if (running) return;
    running = tick()
      .catch((error: unknown) => logger.warn({ err: error }, 'collector heartbeat failed'))
      .finally(() => {
        running = null;
      });
  };

  return {
    id,
    async start() {
      await registerCollector(db, self);
      // Every process opens its sessions under its own id, so sessions without one were left by a version
      // from before the registry. (Collectors across that version are upgraded together: an older one
      // still running would have its live sessions ended here, until its agents' next hello.)
      const leftovers = await reapSessionsWithoutCollector(db);
      if (leftovers.length > 0) {
        logger.warn(
          { agents: leftovers.length },
          'sessions left open by a collector from before the registry: their agents are marked disconnected',
        );
        await announce(leftovers);
      }
      timer = setInterval(runTick, options.heartbeatMs);
      timer.unref();
      runTick();
    },
    tick,
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
      await removeCollector(db, id).catch((error: unknown) =>
        logger.warn({ err: error }, 'could not remove this collector from the registry'),
      );
    },
  };
}
