/**
 * The rules engine: an observer of ingest (committed frames, connections,
 * logins, refusals) plus a timer for what did not happen (silence, long
 * idle, a close without a stop, agents that did not come back after a
 * restart). Each of those is its own module that gathers the facts of its
 * trigger and runs them through the rule registry (domain/rules/rule-dispatch);
 * this file only wires them to the hub and the timer.
 *
 * Work for one agent runs in order; agents run side by side. Nothing here
 * delays an ack: the hub calls observers after them.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/connect.js';
import type { CommittedFrame, IngestHub } from '../../ingest/ingest-hub.js';
import type { AnomalyService } from '../anomaly.service.js';
import { createAgentQueue } from './agent-queue.js';
import { createAnomalyRaiser } from './anomaly-raiser.js';
import type { AnomalyRecorder } from './anomaly-recorder.js';
import { createConnections, type LiveAgent } from './connections.js';
import { createEventRules } from './event-rules.js';
import type { HeartbeatLookup } from './heartbeats.js';
import { createHelloRules } from './hello-rules.js';
import { createPresenceRules } from './presence-rules.js';
import { createRestartSweep } from './restart-sweep.js';
import type { Scheduler } from './scheduler.js';
import type { BlankDetector } from './screenshot-blankness.sharp.js';
import { createSeatActivity } from './seat-activity.js';
import type { AnomalySettings } from './settings-cache.js';
import { createTamperSignals } from './tamper-signals.js';

export interface AnomalyEngineOptions {
  /** How often the timer rules run (0: only when tick() is called, as tests do). */
  tickMs: number;
  /** A close without a stop event waits this long for the stop event still in flight before it counts as a kill. */
  closeGraceMs: number;
  /** An agent that goes silent again this soon after its return reopens the same anomaly (one incident, not a storm). */
  flapWindowMs: number;
  /** After this process starts, agents get this long to reconnect before the ones that do not are flagged. */
  restartGraceMs: number;
  /** Agents seen this long before the start are the ones expected back. */
  restartLookbackMs: number;
}

export const DEFAULT_ENGINE_OPTIONS: Readonly<AnomalyEngineOptions> = Object.freeze({
  tickMs: 5000,
  closeGraceMs: 3000,
  flapWindowMs: 15 * 60_000,
  restartGraceMs: 2 * 60_000,
  restartLookbackMs: 10 * 60_000,
});

export interface AnomalyEngineDeps {
  db: Db;
  hub: IngestHub;
  recorder: AnomalyRecorder;
  settings: AnomalySettings;
  /** Closes what an agent's return ends. */
  anomalies: Pick<AnomalyService, 'resolveReturned'>;
  scheduler: Scheduler;
  logger: FastifyBaseLogger;
  /** The policy heartbeat that applies to an agent (project or site policy). */
  heartbeatMs: HeartbeatLookup;
  isBlank: BlankDetector;
  options: AnomalyEngineOptions;
}

export interface AnomalyEngine {
  /** Runs the timer rules now (the scheduler does this every tickMs). */
  tick(): Promise<void>;
  /** Resolves when everything observed so far has been evaluated and written. */
  idle(): Promise<void>;
  /** Agents a collector process killed outright held, just marked disconnected (issue #15): flagged if not back in time. */
  collectorLost(agentIds: readonly string[]): void;
  stop(): void;
}

export function createAnomalyEngine(deps: AnomalyEngineDeps): AnomalyEngine {
  const { db, settings, scheduler, options } = deps;
  const onError = (error: unknown) => deps.logger.error({ err: error }, 'anomaly engine failed');
  const queue = createAgentQueue(onError);
  const raiser = createAnomalyRaiser({ db, recorder: deps.recorder });
  const seatActive = createSeatActivity(db);
  const presence = createPresenceRules({
    settings,
    raiser,
    anomalies: deps.anomalies,
    flapWindowMs: options.flapWindowMs,
  });
  const hello = createHelloRules({ db, settings, heartbeatMs: deps.heartbeatMs, seatActive, raiser });
  const events = createEventRules({ settings, isBlank: deps.isBlank, seatActive, raiser });
  const tamper = createTamperSignals({ db, settings, raiser });
  const restart = createRestartSweep({
    db,
    settings,
    raiser,
    queue,
    startedAt: scheduler.now(),
    restartGraceMs: options.restartGraceMs,
    restartLookbackMs: options.restartLookbackMs,
  });
  const connections = createConnections({
    scheduler,
    closeGraceMs: options.closeGraceMs,
    closedForGood: (agent, close) =>
      void queue.run(agent.session.agentId, () => presence.closedForGood(agent, close)),
  });
  let stopped = false;

  async function tick(): Promise<void> {
    if (stopped) return;
    const now = scheduler.now();
    const checks = connections
      .live()
      .map((agent) => queue.run(agent.session.agentId, () => presence.tick(agent, now)));
    await restart.maybeSweep(now).catch(onError);
    await Promise.all(checks);
  }

  const unsubscribe = deps.hub.subscribe({
    connected(session) {
      const agent = connections.opened(session);
      // The agent is back: whatever said it was gone is over.
      queue.run(session.agentId, () => presence.returned(agent).then(() => hello(agent)));
    },

    disconnected(session, close) {
      connections.closed(session, close);
    },

    committed(frames) {
      const byAgent = new Map<LiveAgent, CommittedFrame[]>();
      for (const frame of frames) {
        const agent = connections.find(frame.agent);
        if (!agent) continue;
        const list = byAgent.get(agent);
        if (list) list.push(frame);
        else byAgent.set(agent, [frame]);
      }
      for (const [agent, list] of byAgent) {
        queue.run(agent.session.agentId, async () => {
          await events(agent, list);
          await presence.heardFrom(agent);
        });
      }
    },

    login(attempt) {
      if (!attempt.allowed && attempt.kind === 'hello' && attempt.agentId) {
        queue.run(attempt.agentId, () => tamper.refusedHello(attempt));
      }
    },

    refused(refusal) {
      const agent = refusal.agent;
      if (agent && (refusal.code === 'bad_signature' || refusal.code === 'wrong_session')) {
        queue.run(agent.agentId, () => tamper.refusedFrame({ ...refusal, agent }));
      }
    },
  });

  const stopTicking = options.tickMs > 0 ? scheduler.every(options.tickMs, () => void tick()) : () => {};

  return {
    tick,
    idle: () => queue.idle(),
    collectorLost: (agentIds) => restart.collectorLost(agentIds, scheduler.now()),
    stop() {
      stopped = true;
      queue.stop();
      stopTicking();
      unsubscribe();
      connections.clear();
    },
  };
}
