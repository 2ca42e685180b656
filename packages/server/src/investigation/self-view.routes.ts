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
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { recordAudit } from '../audit/audit-log.js';
import { screenshots } from '../db/schema/index.js';
import type { InvestigationDeps } from './investigation-deps.js';
import { createLink, openSession, selfView, sessionSeat, verifyLinkRequest } from './self-view.js';

const tags = ['operator self-view'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
export const SELF_VIEW_COOKIE = 'seatwatch_self_view';
const COOKIE_PATH = '/api/v1/self-view';

export async function selfViewRoutes(base: FastifyInstance, deps: InvestigationDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;

  const seatOf = async (request: FastifyRequest) => {
    const token = request.cookies[SELF_VIEW_COOKIE];
    const seat = typeof token === 'string' && token ? await sessionSeat(db, token, deps.now()) : null;
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
      const now = deps.now();
      const seat = await verifyLinkRequest(db, request.body, now);
      const link = await db.transaction(async (tx) => {
        const made = await createLink(tx, seat, now);
        await recordAudit(
          tx,
          {
            actor: `agent:${seat.agentId}`,
            action: 'self_view.link',
            projectId: seat.projectId,
            seatId: seat.seatId,
            ip: request.ip,
          },
          now,
        );
        return made;
      });
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
      const now = deps.now();
      const opened = await db.transaction(async (tx) => {
        const session = await openSession(tx, request.body.token, now);
        await recordAudit(
          tx,
          {
            actor: 'operator',
            action: 'self_view.open',
            projectId: session.projectId,
            seatId: session.seatId,
            ip: request.ip,
          },
          now,
        );
        return session;
      });
      setCookie(request, reply, opened.session, opened.expiresAt);
      return selfView(
        db,
        { seatId: opened.seatId, projectId: opened.projectId, expiresAt: opened.expiresAt },
        now,
      );
    },
  );

  app.get(
    '/api/v1/self-view',
    {
      config: { authz: { public: 'the self-view session cookie authenticates' } },
      schema: { tags, response: { 200: SelfView, ...errors } },
    },
    async (request) => selfView(db, await seatOf(request), deps.now()),
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
      const seat = await seatOf(request);
      const [shot] = await db
        .select({ thumb: screenshots.thumbSha256 })
        .from(screenshots)
        .where(
          and(eq(screenshots.id, Number(request.params.screenshotId)), eq(screenshots.seatId, seat.seatId)),
        );
      if (!shot?.thumb) throw new SeatwatchError('not_found', 'no such screenshot of this seat');
      const bytes = await deps.blobs.get(shot.thumb);
      if (!bytes) throw new SeatwatchError('not_found', 'the screenshot is gone (retention)');
      return reply
        .header('content-type', 'image/webp')
        .header('cache-control', 'private, no-store')
        .send(Buffer.from(bytes));
    },
  );
}
