/**
 * buildApp(deps): the collector as a Fastify app, ready to listen but never
 * listening (main.ts and tests do that). Everything with I/O arrives in
 * `deps`; the app owns only what it creates (gateway, committer, metrics,
 * retention schedule) and stops those on close. The database, blob store
 * and notification port belong to the caller, which closes them after
 * `app.close()`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Ed25519Signer } from '@seatwatch/shared';
import { createNodeCryptoVerifier } from '@seatwatch/shared/node-crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { createLoginRecorder } from './access/login-recorder.js';
import { requestClientIp } from './access/request-client-ip.js';
import { createAccessRecorder, scheduleAccessFlush } from './access-records/access-recorder.js';
import { registerAccessTrail } from './access-records/access-records.plugin.js';
import { type AccountService, createAccountService } from './accounts/account.service.js';
import { registerAccounts } from './accounts/accounts.plugin.js';
import { createSecretBox } from './accounts/secret-box.js';
import { ADMIN_PREFIX, administrationRoutes } from './administration/administration.plugin.js';
import { type AgentGateway, createAgentGateway } from './agent-gateway/gateway.js';
import { type AnomalyOptions, createAnomalyCore, registerAnomalies } from './anomalies/anomalies.plugin.js';
import { auditRoutes } from './audit/audit.routes.js';
import { registerAuditTrail } from './audit/audit-trail.plugin.js';
import type { BlobStore } from './blobs/blob-store.js';
import { createThumbnailSource } from './blobs/screenshot-thumbnails.js';
import { createSharpThumbnailMaker, type ThumbnailMaker } from './blobs/thumbnails.sharp.js';
import { caseRoutes } from './cases/cases.routes.js';
import { createHeldSeatsCache } from './cases/held-seats.js';
import { createCollectorRegistry } from './collectors-registry/collector-registry.js';
import { type CommandService, createCommandService } from './commands/command.service.js';
import type { ServerConfig } from './config.js';
import { webAppRoutes } from './dashboard/web-app.routes.js';
import type { Database } from './db/connect.js';
import { cidrMatcher } from './domain/client-ip.js';
import { enrollRoutes } from './enrollment/enroll.routes.js';
import { createEnrollmentService } from './enrollment/enrollment.service.js';
import { registerErrorHandler } from './errors/error-handler.js';
import { healthRoutes } from './health/health.routes.js';
import { GroupCommitter } from './ingest/group-committer.js';
import { IngestHub } from './ingest/ingest-hub.js';
import { investigationRoutes } from './investigation/investigation.plugin.js';
import { claimJobRun } from './jobs/job-runs.repository.js';
import { createServerMetrics, metricsRoute, type ServerMetrics } from './metrics/server-metrics.js';
import type { NotificationPort } from './notifications/notification-port.js';
import { schedulePartitionMaintenance } from './partitions/partition-maintenance.js';
import { reportsRoutes } from './reports/reports.routes.js';
import { createReportsService } from './reports/reports.service.js';
import { type RetentionReport, runRetention, scheduleRetention } from './retention/retention-job.js';
import { registerSeats } from './seats/seats.plugin.js';
import { registerSecurityHeaders } from './security-headers/security-headers.js';
import { createPolicyService } from './tenancy/policy.service.js';
import { createSeatPlacementService } from './tenancy/seat-placement.service.js';
import { createUpgradeRouter, type UpgradeRouter } from './upgrades/upgrade-router.js';

export interface AppDeps {
  config: ServerConfig;
  database: Database;
  notifications: NotificationPort;
  blobs: BlobStore;
  /** The server's Ed25519 key: signs every server message. */
  serverSigner: Ed25519Signer;
  /** SHA-256 of the admin token: the CLI and automation use /api/v1/admin/** with it (people sign in). */
  adminTokenHash: Buffer;
  /** Master key that seals dashboard account secrets (TOTP keys); the blob key serves. */
  accountsKey: Uint8Array;
  /** Certificate and key (PEM) to serve HTTPS and WSS. */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** Defaults to sharp. */
  thumbnails?: ThumbnailMaker;
  /** Clock (ms since the epoch); defaults to Date.now. */
  now?: () => number;
  randomBytes?: (size: number) => Uint8Array;
  newId?: () => string;
  /** A pino logger; defaults to one at config.logLevel on stdout. */
  logger?: FastifyBaseLogger;
  /** Process metrics (CPU, memory, event loop) in /metrics; off in tests that run many apps. */
  processMetrics?: boolean;
  /** Anomaly engine and alert tuning (timers, backoff); tests pass a fake scheduler. */
  anomalies?: AnomalyOptions;
}

/** What other parts of the server (anomaly rules, live dashboard) build on: `app.seatwatch`. */
export interface SeatwatchRuntime {
  readonly config: ServerConfig;
  readonly database: Database;
  readonly blobs: BlobStore;
  /** Ingest observer hook: committed frames, connections, logins, refusals. */
  readonly ingest: IngestHub;
  /** Cross-process notifications (PostgreSQL LISTEN/NOTIFY, or in-process on PGlite). */
  readonly notifications: NotificationPort;
  /** Commands to agents, delivered by whichever process holds the socket. */
  readonly commands: CommandService;
  readonly gateway: AgentGateway;
  readonly metrics: ServerMetrics;
  /** Register further WebSocket endpoints (path -> upgrade handler) on the same server. */
  readonly upgrades: UpgradeRouter;
  readonly serverPublicKey: string;
  /** Dashboard accounts (the first administrator's setup link, sessions, users). */
  readonly accounts: AccountService;
  readonly now: () => number;
  /** One retention pass now (the schedule runs it every config.retention.intervalMs). */
  runRetention(): Promise<RetentionReport>;
  /** Reports the folded access records whose minute is over (a schedule does it every ACCESS_FLUSH_MS); how many. */
  flushAccessRecords(): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    seatwatch: SeatwatchRuntime;
  }
}

export const SERVER_VERSION = '0.1.0';
/** How often folded looks and refusals whose minute is over are reported to the audit log. */
const ACCESS_FLUSH_MS = 20_000;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database } = deps;
  const now = deps.now ?? Date.now;
  const isTrustedProxy = cidrMatcher(config.trustedProxies);
  const app = Fastify({
    ...(deps.tls ? { https: { cert: deps.tls.cert, key: deps.tls.key } } : {}),
    ...(deps.logger
      ? { loggerInstance: deps.logger }
      : { logger: { level: config.logLevel, redact: ['req.headers.authorization'] } }),
    trustProxy: (address: string) => isTrustedProxy(address),
    ajv: { customOptions: { removeAdditional: false, useDefaults: true, coerceTypes: 'array' } },
  }) as unknown as FastifyInstance;
  const log = app.log;

  const metrics = createServerMetrics({ defaultMetrics: deps.processMetrics ?? false });
  // Made when first viewed, for the board, seat pages, timelines and the self-view alike.
  const thumbnails = createThumbnailSource({
    db: database.db,
    blobs: deps.blobs,
    make: deps.thumbnails ?? createSharpThumbnailMaker(),
  });
  const hub = new IngestHub((error, hook) => log.error({ err: error, hook }, 'ingest observer failed'));
  // The gateway raises anomalies itself (refused access, sequence gaps) through the same recorder as the rules.
  const anomalyCore = createAnomalyCore({
    db: database.db,
    notifications: deps.notifications,
    now,
    options: deps.anomalies ?? {},
    onError: (error) => log.warn({ err: error }, 'could not publish a notification'),
    onSettingsProblem: (projectId, rule, problem) =>
      log.warn({ projectId, rule, problem }, 'stored anomaly rule settings do not fit; using the defaults'),
  });
  const logins = createLoginRecorder({ hub, anomalies: anomalyCore.recorder });
  const committer = new GroupCommitter({
    db: database.db,
    anomalies: anomalyCore.recorder,
    now,
    maxFramesPerCommit: config.maxFramesPerCommit,
    maxConcurrentCommits: config.maxConcurrentCommits,
    maxBacklog: config.maxCommitBacklog,
    commitDelayMs: config.commitDelayMs,
    observeQueue: (frames) => metrics.commitQueue.set(frames),
    observeCommit: (seconds, frames, ok) => {
      metrics.dbWrite.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
      if (ok) metrics.commitSize.observe(frames);
    },
    onGroupFailed: (error, frames) =>
      log.error({ err: error, frames }, 'group commit failed; retrying its frames one by one'),
    onCommitted: (frames) => hub.emitCommitted(frames),
  });
  const commands = createCommandService({ db: database.db, notifications: deps.notifications, now });
  const upgrades = createUpgradeRouter(app.server);
  // Seats under legal hold: their frames are kept verbatim from the moment a hold is placed (issue #11).
  const heldSeats = await createHeldSeatsCache({
    db: database.db,
    notifications: deps.notifications,
    logger: log.child({ component: 'legal-hold' }),
  });
  // Registered before any agent can say hello here: every session it opens names this process (issue #15).
  // The agents of a dead process it marks disconnected go to the anomaly engine (bound once it exists).
  let collectorLost: (agentIds: string[]) => void = () => {};
  const collectors = createCollectorRegistry({
    db: database.db,
    notifications: deps.notifications,
    logger: log.child({ component: 'collectors' }),
    options: config.collectors,
    onReaped: (agents) => collectorLost(agents.map((agent) => agent.agentId)),
  });
  await collectors.start();
  const gateway = createAgentGateway({
    collectorId: collectors.id,
    db: database.db,
    anomalies: anomalyCore.recorder,
    verifier: createNodeCryptoVerifier(),
    signer: deps.serverSigner,
    committer,
    hub,
    logins,
    blobs: deps.blobs,
    notifications: deps.notifications,
    heldSeats,
    metrics,
    logger: log.child({ component: 'agent-gateway' }),
    now,
    randomBytes: deps.randomBytes ?? ((size) => randomBytes(size)),
    newId: deps.newId ?? randomUUID,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    maxPendingFrames: config.maxPendingFramesPerAgent,
    upgrades,
    isTrustedProxy,
    pingIntervalMs: config.wsPingIntervalMs,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
  });
  const serverPublicKey = Buffer.from(deps.serverSigner.publicKey).toString('base64');
  const retentionDeps = {
    database,
    blobs: deps.blobs,
    now,
    batchSize: config.retention.batchSize,
    logger: log.child({ component: 'retention' }),
  };

  const accounts = createAccountService({
    db: database.db,
    now,
    secrets: createSecretBox(deps.accountsKey, 'account secrets'),
    // A sign-out taken by this process ends the user's live streams held by the others (issue #15).
    notifications: deps.notifications,
    onError: (error) => log.warn({ err: error }, 'could not announce ended sessions to the other processes'),
  });

  // Looks at seat data and refused requests, folded so that nobody can flood the audit log (issue #11).
  const accessRecorder = createAccessRecorder({ db: database.db, now });

  let accepting = true;
  app.decorate('seatwatch', {
    config,
    database,
    blobs: deps.blobs,
    ingest: hub,
    notifications: deps.notifications,
    commands,
    gateway,
    metrics,
    upgrades,
    serverPublicKey,
    accounts,
    now,
    runRetention: () => runRetention(retentionDeps),
    flushAccessRecords: () => accessRecorder.flush(),
  } satisfies SeatwatchRuntime);

  registerErrorHandler(app);
  // HSTS, CSP and frame protection on every answer, the API docs included (issue #13).
  registerSecurityHeaders(app);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Seatwatch collector API',
        version: SERVER_VERSION,
        description:
          'Enrollment for seat agents and the administration API. Agents then speak protocol v1 over the ' +
          'WebSocket GET /api/v1/agent/ws (see docs/protocol.md).',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
    transform: ({ schema, url }) => ({
      schema: url.startsWith(ADMIN_PREFIX) ? { ...schema, security: [{ adminToken: [] }] } : schema,
      url,
    }),
  });
  // Sign-ins and administrative changes of every route go to the audit log (issue #7).
  registerAuditTrail(app, { db: database.db, now });
  // Refusals of every route, and reads of the audit log itself, go to the access records (issue #11).
  registerAccessTrail(app, { recorder: accessRecorder });
  // Before any other route: the route guard must see every route that follows.
  const clientIp = (request: FastifyRequest) => requestClientIp(request, isTrustedProxy);
  const guard = await registerAccounts(app, {
    accounts,
    adminTokenHash: deps.adminTokenHash,
    clientIp,
    adminPrefix: ADMIN_PREFIX,
    publicUrl: config.publicUrl,
  });
  await registerSeats(app, {
    db: database.db,
    accounts,
    guard,
    notifications: deps.notifications,
    ingest: hub,
    thumbnails,
    commands,
    access: accessRecorder,
    now,
    clientIp,
  });
  await app.register(webAppRoutes);
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  await app.register(healthRoutes, { db: database.db, accepting: () => accepting });
  await app.register(async (scope) => metricsRoute(scope, metrics));
  await app.register(enrollRoutes, {
    enroll: createEnrollmentService({ db: database.db, logins, metrics, serverPublicKey, now }),
    isTrustedProxy,
    rateLimit: config.enrollRateLimit,
  });
  await app.register(administrationRoutes, {
    prefix: ADMIN_PREFIX,
    db: database.db,
    commands,
    authorize: guard.adminAuthorizer,
    // The minimum retention is the installation's configuration, validated and frozen once.
    policies: createPolicyService({
      db: database.db,
      minimumRetentionDays: config.retention.minimumDays,
      now,
    }),
    legalHoldChanged: () => heldSeats.changed(),
    seatPlacement: createSeatPlacementService({
      db: database.db,
      now,
      // The anomaly engine of every process reads the seat's team anew (its shift schedule applies from now on).
      onMoved: (projectId) => {
        deps.notifications
          .publish({ topic: 'anomaly.settings_changed', projectId })
          .catch((error: unknown) => {
            log.error({ err: error, projectId }, 'could not announce a seat move to the anomaly engine');
          });
      },
    }),
    now,
  });
  const anomalyRuntime = await registerAnomalies(app, {
    core: anomalyCore,
    db: database.db,
    hub,
    notifications: deps.notifications,
    blobs: deps.blobs,
    signer: deps.serverSigner,
    serverPublicKey,
    options: deps.anomalies ?? {},
  });
  collectorLost = (agentIds) => anomalyRuntime.engine?.collectorLost(agentIds);
  await app.register(investigationRoutes, {
    db: database.db,
    blobs: deps.blobs,
    thumbnails,
    access: accessRecorder,
    now,
    publicUrl: config.publicUrl,
  });
  await app.register(caseRoutes, {
    db: database.db,
    blobs: deps.blobs,
    signer: deps.serverSigner,
    now,
    legalHoldChanged: () => heldSeats.changed(),
    access: accessRecorder,
  });
  await app.register(auditRoutes, { db: database.db });
  await app.register(reportsRoutes, { reports: createReportsService({ db: database.db, now }) });

  // Once per interval across every process on the database, not once per process (issue #15); a tenth
  // of the interval is left for timers that fire late.
  const retentionInterval = config.retention.intervalMs;
  const retention =
    retentionInterval > 0
      ? scheduleRetention(retentionDeps, retentionInterval, () =>
          claimJobRun(database.db, 'retention', retentionInterval * 0.9),
        )
      : null;
  // The coming days' telemetry partitions, made now and every few hours (issue #15).
  const partitions = schedulePartitionMaintenance({
    db: database.db,
    now,
    logger: log.child({ component: 'partitions' }),
  });
  const accessFlush = scheduleAccessFlush(accessRecorder, ACCESS_FLUSH_MS, (error) =>
    log.error({ err: error }, 'could not report folded access records'),
  );

  app.addHook('preClose', async () => {
    accepting = false;
    await gateway.drain();
  });
  app.addHook('onClose', async () => {
    heldSeats.close();
    await retention?.stop();
    await partitions.stop();
    await accessFlush.stop();
    // After the gateway closed its sockets (preClose): nothing of this process is left to end.
    await collectors.stop();
  });
  return app;
}
