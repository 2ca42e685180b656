/** The board snapshot, seat detail, thumbnails (blurred for supervisors) and capture-now. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, SeatwatchError } from '@seatwatch/shared';
import { Board, CaptureResponse, SeatDetail, SeatDetailQuery } from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AccountService } from '../accounts/account.service.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { CommandService } from '../commands/command.service.js';
import type { Db } from '../db/connect.js';
import { can, type Resource, scopeOf, thumbnailBlurred } from '../domain/authz-policy.js';
import { boardSeats, boardTenancy, screenshotScope, seatDetail, seatScope } from './board.queries.js';
import type { ThumbnailBlur } from './thumbnail-blur.sharp.js';

export interface SeatRouteDeps {
  db: Db;
  accounts: AccountService;
  blobs: BlobStore;
  commands: CommandService;
  blur: ThumbnailBlur;
  now: () => number;
}

const tags = ['dashboard board'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const SeatParams = Type.Object({ seatId: Type.String({ minLength: 1, maxLength: 128 }) });
const ScreenshotParams = Type.Object({ screenshotId: Type.String({ minLength: 1, maxLength: 32 }) });
/** The window of one seat page: at most a few days (a day in any time zone, with margin). */
const MAX_WINDOW_MS = 3 * 86_400_000;

export async function seatRoutes(base: FastifyInstance, deps: SeatRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;

  const seatResource = async (request: FastifyRequest): Promise<Resource> => {
    const seat = await seatScope(db, (request.params as { seatId: string }).seatId);
    if (!seat) throw new SeatwatchError('not_found', 'no such seat');
    return { kind: 'team', ...seat };
  };

  const screenshotResource = async (request: FastifyRequest): Promise<Resource> => {
    const shot = await screenshotScope(db, (request.params as { screenshotId: string }).screenshotId);
    if (!shot) throw new SeatwatchError('not_found', 'no such screenshot');
    return { kind: 'team', projectId: shot.projectId, teamId: shot.teamId };
  };

  app.get(
    '/api/v1/board',
    { config: { authz: { action: 'board.read' } }, schema: { tags, response: { 200: Board, ...errors } } },
    async (request) => {
      const scope = scopeOf(request.principal, 'board.read');
      const [tenancy, seats] = await Promise.all([boardTenancy(db, scope), boardSeats(db, scope)]);
      return { now: deps.now(), ...tenancy, seats };
    },
  );

  app.get(
    '/api/v1/seats/:seatId',
    {
      config: { authz: { action: 'seat.read', resource: seatResource } },
      schema: {
        tags,
        params: SeatParams,
        querystring: SeatDetailQuery,
        response: { 200: SeatDetail, ...errors },
      },
    },
    async (request) => {
      const { from, to } = request.query;
      if (to <= from || to - from > MAX_WINDOW_MS) {
        throw new SeatwatchError('bad_request', 'from/to must be a window of at most three days');
      }
      const [seat] = await boardSeats(db, scopeOf(request.principal, 'seat.read'), [request.params.seatId]);
      if (!seat) throw new SeatwatchError('not_found', 'no such seat');
      const resource: Resource = { kind: 'team', projectId: seat.projectId, teamId: seat.teamId };
      return {
        seat,
        ...(await seatDetail(db, seat, { from, to })),
        canCapture: can(request.principal, 'seat.capture', resource),
      };
    },
  );

  app.post(
    '/api/v1/seats/:seatId/capture',
    {
      config: { authz: { action: 'seat.capture', resource: seatResource } },
      schema: { tags, params: SeatParams, response: { 202: CaptureResponse, ...errors } },
    },
    async (request, reply) => {
      const [seat] = await boardSeats(db, scopeOf(request.principal, 'seat.capture'), [
        request.params.seatId,
      ]);
      if (!seat?.agentId) throw new SeatwatchError('conflict', 'no agent is enrolled on this seat');
      const command = await deps.commands.request({
        projectId: seat.projectId,
        agentId: seat.agentId,
        cmd: 'capture_now',
        requestedBy: request.account ? `user:${request.account.user.username}` : 'admin-token',
      });
      return reply.status(202).send({ commandId: command.id });
    },
  );

  app.get(
    '/api/v1/screenshots/:screenshotId/thumbnail',
    {
      config: { authz: { action: 'screenshot.thumbnail', resource: screenshotResource } },
      schema: {
        tags,
        params: ScreenshotParams,
        response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...errors },
      },
    },
    async (request, reply) => {
      const shot = (await screenshotScope(db, request.params.screenshotId))!;
      if (!shot.thumbSha256) throw new SeatwatchError('not_found', 'this screenshot has no thumbnail');
      const bytes = await deps.blobs.get(shot.thumbSha256);
      if (!bytes) throw new SeatwatchError('not_found', 'the thumbnail is gone (retention)');
      const { clearThumbnails } = await deps.accounts.projectSettings(shot.projectId);
      const resource: Resource = { kind: 'team', projectId: shot.projectId, teamId: shot.teamId };
      const blurred = thumbnailBlurred(request.principal!, resource, clearThumbnails);
      const body = blurred ? await deps.blur(shot.thumbSha256, bytes) : bytes;
      return reply
        .header('content-type', 'image/webp')
        .header('cache-control', 'private, max-age=300')
        .header('vary', 'cookie, authorization')
        .header('x-seatwatch-blurred', blurred ? '1' : '0')
        .send(Buffer.from(body));
    },
  );
}
