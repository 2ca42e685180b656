/**
 * Everything of the dashboard on the server (issue #6), registered on the
 * root app before any other route so the route guard sees every route:
 * the guard, accounts and sign-in, account administration, the board and
 * seat pages, the live stream, and the web app itself.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountService } from '../../accounts/account-service.js';
import { type RouteGuard, registerRouteGuard } from '../../authz/route-guard.js';
import type { BlobStore } from '../../blobs/blob-store.js';
import type { CommandService } from '../../commands/command-service.js';
import type { Db } from '../../db/connect.js';
import type { IngestHub } from '../../ingest/ingest-hub.js';
import type { NotificationPort } from '../../notifications/notification-port.js';
import { authRoutes } from './auth.routes.js';
import { liveRoutes } from './live.routes.js';
import { createLiveHub, publishBoardChanges } from './live-hub.js';
import { seatRoutes } from './seats.routes.js';
import { createSharpThumbnailBlur } from './thumbnail-blur.sharp.js';
import { userRoutes } from './users.routes.js';
import { webAppRoutes } from './web-app.routes.js';

export interface DashboardDeps {
  db: Db;
  accounts: AccountService;
  notifications: NotificationPort;
  ingest: IngestHub;
  blobs: BlobStore;
  commands: CommandService;
  now: () => number;
  /** SHA-256 of the admin token (CLI and automation). */
  adminTokenHash: Buffer;
  clientIp: (request: FastifyRequest) => string;
  adminPrefix: string;
  publicUrl: string | undefined;
  /** Sign-in attempts per client IP per minute. */
  loginRateLimit?: number;
  /** The built web app; defaults to packages/dashboard/dist. */
  webAppDir?: string;
}

export interface Dashboard {
  readonly accounts: AccountService;
  readonly guard: RouteGuard;
}

export async function registerDashboard(app: FastifyInstance, deps: DashboardDeps): Promise<Dashboard> {
  const { accounts } = deps;
  const guard = await registerRouteGuard(app, {
    accounts,
    adminTokenHash: deps.adminTokenHash,
    clientIp: deps.clientIp,
    adminPrefix: deps.adminPrefix,
  });
  const onError = (error: unknown) => app.log.warn({ err: error }, 'live dashboard stream problem');
  const stopPublishing = publishBoardChanges(deps.ingest, deps.notifications, onError);
  const hub = createLiveHub({ db: deps.db, notifications: deps.notifications, onError });
  app.addHook('onClose', async () => {
    stopPublishing();
    hub.close();
  });

  await app.register(authRoutes, {
    accounts,
    guard,
    clientIp: deps.clientIp,
    loginRateLimit: deps.loginRateLimit ?? 20,
  });
  await app.register(userRoutes, { accounts, clientIp: deps.clientIp, publicUrl: deps.publicUrl });
  await app.register(seatRoutes, {
    db: deps.db,
    accounts,
    blobs: deps.blobs,
    commands: deps.commands,
    blur: createSharpThumbnailBlur(),
    now: deps.now,
  });
  await app.register(liveRoutes, { hub, accounts, guard, clientIp: deps.clientIp });
  await app.register(webAppRoutes, deps.webAppDir ? { dir: deps.webAppDir } : {});
  return { accounts, guard };
}
