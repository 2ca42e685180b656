/**
 * Anomaly detection and alerting on a built app: the rules engine on the
 * ingest hook, the alert dispatcher, and the /api/v1/anomalies routes.
 * The settings cache and the recorder are made earlier (createAnomalyCore),
 * because the gateway writes through the recorder too (refused access,
 * sequence gaps). Exposed as `app.anomalies` for the parts that build on it
 * and for tests (tick the timers, wait for the engine, run due alerts).
 */
import { hostname } from 'node:os';
import type { Ed25519Signer } from '@seatwatch/shared';
import type { FastifyInstance } from 'fastify';
import type { BlobStore } from '../blobs/blob-store.js';
import { createSharpThumbnailMaker } from '../blobs/thumbnails.sharp.js';
import type { Db } from '../db/connect.js';
import type { IngestHub } from '../ingest/ingest-hub.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import { type AlertDispatcher, createAlertDispatcher } from './alert-dispatcher.js';
import { alertTargetRoutes } from './alert-targets.routes.js';
import { createAlertTargetService } from './alert-targets.service.js';
import { anomalyRoutes } from './anomalies.routes.js';
import { createAnomalyService } from './anomaly.service.js';
import { anomalySettingsRoutes } from './anomaly-settings.routes.js';
import { createAnomalySettingsService } from './anomaly-settings.service.js';
import {
  type AnomalyEngine,
  type AnomalyEngineOptions,
  createAnomalyEngine,
  DEFAULT_ENGINE_OPTIONS,
} from './engine/anomaly-engine.js';
import { type AnomalyRecorder, createAnomalyRecorder } from './engine/anomaly-recorder.js';
import { createHeartbeatLookup } from './engine/heartbeats.js';
import { type Scheduler, systemScheduler } from './engine/scheduler.js';
import { type BlankDetector, createSharpBlankDetector } from './engine/screenshot-blankness.sharp.js';
import { type AnomalySettings, createAnomalySettings, reloadOnChange } from './engine/settings-cache.js';
import { createTcpSyslogSender } from './syslog/syslog-sender.tcp.js';
import { createUdpSyslogSender } from './syslog/syslog-sender.udp.js';
import {
  type Backoff,
  DEFAULT_WEBHOOK_BACKOFF,
  DEFAULT_WEBHOOK_MAX_ATTEMPTS,
} from './webhook/webhook-backoff.js';
import { createFetchWebhookTransport, type WebhookTransport } from './webhook/webhook-transport.js';

/** Everything tunable, all optional (tests pass a fake scheduler and no timers). */
export interface AnomalyOptions {
  /** Clock and timers; defaults to real timers on the app's clock. */
  scheduler?: Scheduler;
  /**
   * Engine tuning; false runs the collector without the rules engine (the
   * gateway still records refused access and sequence gaps, and alerts still
   * go out): what the benchmark compares against.
   */
  engine?: Partial<AnomalyEngineOptions> | false;
  alerts?: {
    backoff?: Backoff;
    maxAttempts?: number;
    /** Look for due alerts this often (0: only on wake-ups and runDue()). Default 5 s. */
    pollMs?: number;
    leaseMs?: number;
    webhookTimeoutMs?: number;
    webhooks?: WebhookTransport;
  };
  /** How long rule settings and schedules are cached (a change through the API clears them at once). */
  settingsTtlMs?: number;
  isBlank?: BlankDetector;
}

export interface AnomalyCore {
  readonly settings: AnomalySettings;
  readonly recorder: AnomalyRecorder;
  readonly scheduler: Scheduler;
}

export interface AnomalyRuntime extends AnomalyCore {
  /** Null when started with `engine: false`. */
  readonly engine: AnomalyEngine | null;
  readonly alerts: AlertDispatcher;
}

declare module 'fastify' {
  interface FastifyInstance {
    anomalies: AnomalyRuntime;
  }
}

export function createAnomalyCore(deps: {
  db: Db;
  notifications: NotificationPort;
  now: () => number;
  options: AnomalyOptions;
  onError: (error: unknown) => void;
  onSettingsProblem: (projectId: string, rule: string, problem: string) => void;
}): AnomalyCore {
  const scheduler = deps.options.scheduler ?? systemScheduler(deps.now);
  const settings = createAnomalySettings({
    db: deps.db,
    now: scheduler.now,
    ttlMs: deps.options.settingsTtlMs ?? 30_000,
    onProblem: deps.onSettingsProblem,
  });
  const recorder = createAnomalyRecorder({
    settings,
    notifications: deps.notifications,
    now: scheduler.now,
    onError: deps.onError,
  });
  return { settings, recorder, scheduler };
}

export interface RegisterAnomaliesDeps {
  core: AnomalyCore;
  db: Db;
  hub: IngestHub;
  notifications: NotificationPort;
  blobs: BlobStore;
  signer: Ed25519Signer;
  serverPublicKey: string;
  options: AnomalyOptions;
}

/** Call with the root app (it decorates `app.anomalies`), after the route guard is in place. */
export async function registerAnomalies(
  app: FastifyInstance,
  deps: RegisterAnomaliesDeps,
): Promise<AnomalyRuntime> {
  const { core, db, notifications, options } = deps;
  const { scheduler, settings } = core;
  const log = app.log.child({ component: 'anomalies' });
  const onError = (error: unknown) => log.warn({ err: error }, 'anomaly notification failed');

  const unsubscribeSettings = reloadOnChange(notifications, settings);
  const serviceDeps = { db, notifications, now: scheduler.now, onError };
  const anomalies = createAnomalyService(serviceDeps);
  const anomalySettings = createAnomalySettingsService(serviceDeps);

  const engine =
    options.engine === false
      ? null
      : createAnomalyEngine({
          db,
          hub: deps.hub,
          recorder: core.recorder,
          settings,
          anomalies,
          scheduler,
          logger: log,
          heartbeatMs: createHeartbeatLookup(db, scheduler.now),
          isBlank: options.isBlank ?? createSharpBlankDetector(deps.blobs, createSharpThumbnailMaker()),
          options: { ...DEFAULT_ENGINE_OPTIONS, ...options.engine },
        });

  const alerts = createAlertDispatcher({
    db,
    scheduler,
    notifications,
    logger: log,
    signer: deps.signer,
    webhooks:
      options.alerts?.webhooks ??
      createFetchWebhookTransport({ timeoutMs: options.alerts?.webhookTimeoutMs ?? 10_000 }),
    openSyslog: (target) =>
      target.transport === 'udp' ? createUdpSyslogSender(target) : createTcpSyslogSender(target),
    hostname: hostname(),
    procId: String(process.pid),
    backoff: options.alerts?.backoff ?? DEFAULT_WEBHOOK_BACKOFF,
    maxAttempts: options.alerts?.maxAttempts ?? DEFAULT_WEBHOOK_MAX_ATTEMPTS,
    pollMs: options.alerts?.pollMs ?? 5000,
    leaseMs: options.alerts?.leaseMs ?? 60_000,
    batchSize: 20,
  });

  const runtime: AnomalyRuntime = { ...core, engine, alerts };
  app.decorate('anomalies', runtime);

  await app.register(anomalyRoutes, { anomalies });
  await app.register(anomalySettingsRoutes, { settings: anomalySettings });
  await app.register(alertTargetRoutes, {
    targets: createAlertTargetService(db),
    requireProject: (projectId: string) => anomalySettings.requireProject(projectId),
    serverPublicKey: deps.serverPublicKey,
  });

  app.addHook('onClose', async () => {
    unsubscribeSettings();
    engine?.stop();
    await engine?.idle();
    await alerts.stop();
  });
  return runtime;
}
