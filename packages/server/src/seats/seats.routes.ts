/** The board snapshot, seat detail, thumbnails (blurred for supervisors) and capture-now. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@seatwatch/shared';
import { Board, CaptureResponse, SeatDetail, SeatDetailQuery } from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requestActor } from '../audit/request-actor.js';
import { scopeOf } from '../domain/authz-policy.js';
import type { SeatService, Viewer } from './seat.service.js';

const tags = ['dashboard board'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const SeatParams = Type.Object({ seatId: Type.String({ minLength: 1, maxLength: 128 }) });
const ScreenshotParams = Type.Object({ screenshotId: Type.String({ minLength: 1, maxLength: 32 }) });

export async function seatRoutes(base: FastifyInstance, deps: { seats: SeatService }): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { seats } = deps;
  const seatResource = (request: FastifyRequest) =>
    seats.seatResource((request.params as { seatId: string }).seatId);
  const screenshotResource = (request: FastifyRequest) =>
    seats.screenshotResource((request.params as { screenshotId: string }).screenshotId);
  const viewer = (request: FastifyRequest): Viewer => ({
    who: requestActor(request),
    session: request.account?.session.id ?? null,
  });

  app.get(
    '/api/v1/board',
    { config: { authz: { action: 'board.read' } }, schema: { tags, response: { 200: Board, ...errors } } },
    (request) => seats.board(scopeOf(request.principal, 'board.read'), viewer(request)),
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
    (request) =>
      seats.seatPage(
        request.principal,
        viewer(request),
        scopeOf(request.principal, 'seat.read'),
        request.params.seatId,
        request.query,
      ),
  );

  app.post(
    '/api/v1/seats/:seatId/capture',
    {
      config: { authz: { action: 'seat.capture', resource: seatResource } },
      schema: { tags, params: SeatParams, response: { 202: CaptureResponse, ...errors } },
    },
    async (request, reply) => {
      const requestedBy = request.account ? `user:${request.account.user.username}` : 'admin-token';
      const captured = await seats.capture(
        scopeOf(request.principal, 'seat.capture'),
        request.params.seatId,
        requestedBy,
      );
      return reply.status(202).send(captured);
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
      const { blurred, bytes } = await seats.thumbnail(
        request.principal!,
        viewer(request),
        request.params.screenshotId,
      );
      return reply
        .header('content-type', 'image/webp')
        .header('cache-control', 'private, max-age=300')
        .header('vary', 'cookie, authorization')
        .header('x-seatwatch-blurred', blurred ? '1' : '0')
        .send(Buffer.from(bytes));
    },
  );
}
