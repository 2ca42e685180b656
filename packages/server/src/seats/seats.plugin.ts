/**
 * Seats and the board (issue #6): the board and seat pages, capture-now,
 * and the live stream that pushes board changes to every dashboard.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccessRecorder } from '../access-records/access-recorder.js';
import type { AccountService } from '../accounts/account.service.js';
import type { RouteGuard } from '../accounts/route-guard.js';
import type { ThumbnailSource } from '../blobs/screenshot-thumbnails.js';
import type { CommandService } from '../commands/command.service.js';
import type { Db } from '../db/connect.js';
import type { IngestHub } from '../ingest/ingest-hub.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import { liveRoutes } from './live.routes.js';
import { createLiveHub, publishBoardChanges } from './live-hub.js';
import { createSeatService } from './seat.service.js';
import { seatRoutes } from './seats.routes.js';
import { createSharpThumbnailBlur } from './thumbnail-blur.sharp.js';

export interface SeatsDeps {
  db: Db;
  accounts: AccountService;
  guard: RouteGuard;
  notifications: NotificationPort;
  ingest: IngestHub;
  /** Thumbnails of screenshots, made on first view. */
  thumbnails: ThumbnailSource;
  commands: CommandService;
  /** Every look at a seat's data is recorded (issue #11). */
  access: AccessRecorder;
  now: () => number;
  clientIp: (request: FastifyRequest) => string;
}

export async function registerSeats(app: FastifyInstance, deps: SeatsDeps): Promise<void> {
  const onError = (error: unknown) => app.log.warn({ err: error }, 'live dashboard stream problem');
  const stopPublishing = publishBoardChanges(deps.ingest, deps.notifications, onError);
  const hub = createLiveHub({ db: deps.db, notifications: deps.notifications, onError });
  app.addHook('onClose', async () => {
    stopPublishing();
    hub.close();
  });
  const seats = createSeatService({
    db: deps.db,
    commands: deps.commands,
    projectSettings: (projectId) => deps.accounts.projectSettings(projectId),
    blur: createSharpThumbnailBlur(),
    thumbnails: deps.thumbnails,
    access: deps.access,
    now: deps.now,
  });
  await app.register(seatRoutes, { seats });
  await app.register(liveRoutes, {
    hub,
    accounts: deps.accounts,
    guard: deps.guard,
    clientIp: deps.clientIp,
  });
}
