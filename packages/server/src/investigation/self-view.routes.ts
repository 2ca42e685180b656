/**
 * The operator self-view, for the person at the seat (no dashboard
 * account): the agent asks for a one-time link (signed with its key), the
 * page trades the link's token for a short session cookie bound to that
 * seat, then reads what was collected and who looked at it.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, SeatwatchError } from '@seatwatch/shared';
import {
  SelfView,
  SelfViewLink,
  SelfViewOpenRequest,
  SignedSelfViewLinkRequest,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { SelfViewService } from './self-view.service.js';

const tags = ['operator self-view'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const SELF_VIEW_COOKIE = 'seatwatch_self_view';
const COOKIE_PATH = '/api/v1/self-view';

export interface SelfViewRouteDeps {
  selfView: SelfViewService;
  /** The URL people open the dashboard at (self-view links), else the request's own origin. */
  publicUrl: string | undefined;
}

export async function selfViewRoutes(base: FastifyInstance, deps: SelfViewRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { selfView } = deps;

  const seatOf = async (request: FastifyRequest) => {
    const token = request.cookies[SELF_VIEW_COOKIE];
    const seat = typeof token === 'string' && token ? await selfView.sessionSeat(token) : null;
    if (!seat) throw new SeatwatchError('unauthorized', 'open the self-view again from the agent’s page');
    return seat;
  };
  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, expiresAt: number) =>
    reply.setCookie(SELF_VIEW_COOKIE, value, {
      path: COOKIE_PATH,
      httpOnly: true,
      sameSite: 'strict',
      secure: request.protocol === 'https',
      expires: new Date(expiresAt),
    });

  app.post(
    '/api/v1/self-view/links',
    {
      config: { authz: { public: 'the agent signs the request with its enrolled key' } },
      schema: { tags, body: SignedSelfViewLinkRequest, response: { 201: SelfViewLink, ...errors } },
    },
    async (request, reply) => {
      const link = await selfView.createLink(request.body, request.ip);
      const origin = deps.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.headers.host}`;
      // The token rides in the fragment: browsers send it to no server and put it in no Referer.
      return reply
        .status(201)
        .send({ url: `${origin}/self-view#token=${link.token}`, expiresAt: link.expiresAt });
    },
  );

  app.post(
    '/api/v1/self-view/session',
    {
      config: { authz: { public: 'the one-time self-view token authenticates' } },
      schema: { tags, body: SelfViewOpenRequest, response: { 200: SelfView, ...errors } },
    },
    async (request, reply) => {
      const opened = await selfView.openSession(request.body.token, request.ip);
      setCookie(request, reply, opened.session, opened.seat.expiresAt);
      return selfView.selfView(opened.seat);
    },
  );

  app.get(
    '/api/v1/self-view',
    {
      config: { authz: { public: 'the self-view session cookie authenticates' } },
      schema: { tags, response: { 200: SelfView, ...errors } },
    },
    async (request) => selfView.selfView(await seatOf(request)),
  );

  app.get(
    '/api/v1/self-view/screenshots/:screenshotId/thumbnail',
    {
      config: { authz: { public: 'the self-view session cookie authenticates' } },
      schema: {
        tags,
        params: Type.Object({ screenshotId: Type.String({ pattern: '^[0-9]{1,18}$' }) }),
        response: { 200: Type.Unknown({ description: 'the thumbnail (WebP)' }), ...errors },
      },
    },
    async (request, reply) => {
      const bytes = await selfView.thumbnail(await seatOf(request), request.params.screenshotId);
      return reply
        .header('content-type', 'image/webp')
        .header('cache-control', 'private, no-store')
        .send(Buffer.from(bytes));
    },
  );
}
