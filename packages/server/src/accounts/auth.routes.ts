/** /api/v1/auth/**: sign-in with password then TOTP, setup links, the caller's own sessions and password. */
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, SeatwatchError } from '@seatwatch/shared';
import {
  ChangePasswordRequest,
  LoginRequest,
  SessionInfo,
  SessionSummary,
  SetupCompleteRequest,
  SetupInspectRequest,
  SetupInspectResponse,
  TotpEnrollment,
  TotpRequest,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { CSRF_HEADER, csrfTokenFor, csrfTokenValid } from './csrf.js';
import type { OwnPasswordService } from './own-password.service.js';
import type { RouteGuard } from './route-guard.js';
import type { AuthenticatedSession, SessionService } from './sessions.service.js';
import type { SetupLinkService } from './setup-links.service.js';
import type { SignInService } from './sign-in.service.js';

export interface AuthRouteDeps {
  accounts: SignInService & SessionService & SetupLinkService & OwnPasswordService;
  guard: RouteGuard;
  clientIp: (request: FastifyRequest) => string;
  /** Sign-in attempts per client IP per minute (the per name and IP throttle is separate). */
  loginRateLimit: number;
}

const tags = ['dashboard auth'];
const errors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  429: ErrorBody,
};

export async function authRoutes(base: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { accounts, guard } = deps;
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => deps.clientIp(request),
    errorResponseBuilder: () => new SeatwatchError('rate_limited'),
  });
  const limited = { max: deps.loginRateLimit, timeWindow: 60_000 };
  const client = (request: FastifyRequest) => ({
    ip: deps.clientIp(request),
    userAgent: String(request.headers['user-agent'] ?? ''),
  });

  const info = (account: AuthenticatedSession | null, token: string | null): SessionInfo => ({
    stage: account ? account.session.stage : 'password',
    user: account
      ? {
          id: account.user.id,
          username: account.user.username,
          displayName: account.user.displayName,
          grants: account.grants,
          totpEnabled: account.user.totpSecret !== null,
        }
      : null,
    csrfToken: account && token ? csrfTokenFor(token) : null,
  });

  /** Answers with the session now behind `token` (after sign-in steps) and sets its cookie. */
  const answer = async (request: FastifyRequest, reply: FastifyReply, token: string) => {
    guard.setSessionCookie(request, reply, token);
    return info(await accounts.authenticate(token, deps.clientIp(request)), token);
  };

  app.get(
    '/api/v1/auth/session',
    {
      config: { authz: { public: 'tells anyone whether they are signed in' } },
      schema: { tags, response: { 200: SessionInfo } },
    },
    async (request, reply) => {
      const token = guard.sessionToken(request);
      const account = token ? await accounts.authenticate(token, deps.clientIp(request)) : null;
      if (token && !account) guard.setSessionCookie(request, reply, null);
      return info(account, token);
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      config: { authz: { public: 'sign-in' }, rateLimit: limited },
      schema: { tags, body: LoginRequest, response: { 200: SessionInfo, ...errors } },
    },
    async (request, reply) => {
      const { token } = await accounts.login(request.body.username, request.body.password, client(request));
      return answer(request, reply, token);
    },
  );

  app.post(
    '/api/v1/auth/totp/enrollment',
    {
      config: { authz: { signedIn: 'any-stage' } },
      schema: { tags, response: { 200: TotpEnrollment, ...errors } },
    },
    (request) => accounts.totpEnrollment(request.account!),
  );

  app.post(
    '/api/v1/auth/totp',
    {
      config: { authz: { signedIn: 'any-stage' }, rateLimit: limited },
      schema: { tags, body: TotpRequest, response: { 200: SessionInfo, ...errors } },
    },
    async (request, reply) =>
      answer(
        request,
        reply,
        await accounts.verifyTotp(request.account!, request.body.code, deps.clientIp(request)),
      ),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      config: { authz: { public: 'signing out needs no valid session' } },
      schema: { tags, response: { 200: SessionInfo, 403: ErrorBody } },
    },
    async (request, reply) => {
      const token = guard.sessionToken(request);
      const account = token ? await accounts.authenticate(token, deps.clientIp(request)) : null;
      // Public so that a stale cookie can always be cleared; a live session is ended only by a request
      // that carries its CSRF token, so no other site can sign a person out (issue #13).
      if (account && token) {
        if (!csrfTokenValid(token, request.headers[CSRF_HEADER])) {
          throw new SeatwatchError('forbidden', `missing or wrong ${CSRF_HEADER} header`);
        }
        await accounts.logout(account);
      }
      guard.setSessionCookie(request, reply, null);
      return info(null, null);
    },
  );

  app.post(
    '/api/v1/auth/setup/inspect',
    {
      config: { authz: { public: 'the one-time setup token authenticates' }, rateLimit: limited },
      schema: { tags, body: SetupInspectRequest, response: { 200: SetupInspectResponse, ...errors } },
    },
    (request) => accounts.inspectSetup(request.body.token),
  );

  app.post(
    '/api/v1/auth/setup/complete',
    {
      config: { authz: { public: 'the one-time setup token authenticates' }, rateLimit: limited },
      schema: { tags, body: SetupCompleteRequest, response: { 200: SessionInfo, ...errors } },
    },
    async (request, reply) => {
      const { token } = await accounts.completeSetup(request.body, client(request));
      return answer(request, reply, token);
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      config: { authz: { signedIn: 'full' }, rateLimit: limited },
      schema: {
        tags,
        body: ChangePasswordRequest,
        response: { 200: Type.Object({ otherSessionsEnded: Type.Integer() }), ...errors },
      },
    },
    async (request) => ({
      otherSessionsEnded: await accounts.changeOwnPassword(request.account!, request.body, client(request)),
    }),
  );

  app.get(
    '/api/v1/auth/sessions',
    {
      config: { authz: { signedIn: 'full' } },
      schema: { tags, response: { 200: Type.Array(SessionSummary), ...errors } },
    },
    (request) => accounts.sessionsOf(request.account!),
  );

  app.delete(
    '/api/v1/auth/sessions/:sessionId',
    {
      config: { authz: { signedIn: 'full' } },
      schema: {
        tags,
        params: Type.Object({ sessionId: Type.String({ maxLength: 128 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await accounts.revokeOwnSession(request.account!, request.params.sessionId);
      return reply.status(204).send(null);
    },
  );
}
