/**
 * The Fastify side of authorization: who is calling (a dashboard session
 * cookie, or the admin token for the CLI and automation), and whether the
 * policy lets them call this route. Every route declares `config.authz`:
 *
 *   { public: 'why' }                       no caller check (agent protocol, health, docs)
 *   { signedIn: 'any-stage' | 'full' }       the caller's own session or account
 *   { action, resource? }                    can(principal, action, await resource(request));
 *                                            without `resource`: the action held anywhere (lists
 *                                            then filter with scopeOf)
 *
 * A route under /api/ that declares nothing is refused (default deny), and
 * the test suite lists every route to keep it that way. Routes of the admin
 * API plugin are checked by its authorizer (adminAuthorizer below), which
 * asks the same policy.
 */
import { timingSafeEqual } from 'node:crypto';
import cookie from '@fastify/cookie';
import { SeatwatchError } from '@seatwatch/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type Action,
  can,
  canAnywhere,
  INSTALLATION,
  type Principal,
  type Resource,
  scopeOf,
} from '../domain/authz-policy.js';
import { sha256 } from '../secrets/secret-files.js';
import type { AdminActor, AdminAuthorizer } from './admin-auth.js';
import { CSRF_HEADER, csrfTokenValid } from './csrf.js';
import type { AuthenticatedSession, SessionService } from './sessions.service.js';

export type RouteAuthz =
  | { readonly public: string }
  | { readonly signedIn: 'any-stage' | 'full' }
  | { readonly action: Action; readonly resource?: (request: FastifyRequest) => Promise<Resource> }
  /** Set by the guard itself on the admin API plugin's routes. */
  | { readonly delegated: 'admin-authorizer' };

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with the authorization it declared (audited by the test suite). */
    routeDeclarations: readonly DeclaredRoute[];
  }
  interface FastifyContextConfig {
    authz?: RouteAuthz;
  }
  interface FastifyRequest {
    /** Who is calling, once the guard has looked (null: nobody signed in). */
    principal: Principal | null;
    /** The dashboard session behind the principal (null for the admin token). */
    account: AuthenticatedSession | null;
  }
}

export const SESSION_COOKIE = 'seatwatch_session';
const ADMIN_TOKEN_PRINCIPAL: Principal = Object.freeze({
  kind: 'token',
  id: 'admin-token',
  grants: Object.freeze([{ role: 'administrator', projectId: null, teamId: null }]),
}) as Principal;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface RouteGuardDeps {
  accounts: Pick<SessionService, 'authenticate'>;
  /** SHA-256 of the admin token. */
  adminTokenHash: Buffer;
  /** The client address (socket, or a trusted proxy's forwarded-for). */
  clientIp: (request: FastifyRequest) => string;
  /** The admin API plugin's prefix: its routes are checked by adminAuthorizer. */
  adminPrefix: string;
}

export interface DeclaredRoute {
  readonly method: string;
  readonly url: string;
  readonly authz: RouteAuthz | undefined;
}

export interface RouteGuard {
  /** Every route registered after the guard, with what it declared (the test suite audits this). */
  readonly routes: readonly DeclaredRoute[];
  /** The admin API's authorizer: a full session or the admin token, then the policy. */
  adminAuthorizer: AdminAuthorizer;
  /** Sets the session cookie (after sign-in, TOTP, setup) or clears it (null). */
  setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string | null): void;
  /** The session token in the request's cookie, if any. */
  sessionToken(request: FastifyRequest): string | null;
}

function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]+)$/.exec(header) : null;
  return match ? match[1]! : null;
}

/** A cross-site page can make a browser send our cookie, but not make its Origin ours. */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/**
 * Registers the cookie parser and the guard on the root instance (call it
 * directly with the root app, before any route is registered).
 */
export async function registerRouteGuard(app: FastifyInstance, deps: RouteGuardDeps): Promise<RouteGuard> {
  await app.register(cookie, { hook: 'onRequest' });
  app.decorateRequest('principal', null);
  app.decorateRequest('account', null);

  const routes: DeclaredRoute[] = [];
  app.decorate('routeDeclarations', routes);
  app.addHook('onRoute', (route) => {
    const url = route.url ?? '';
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routes.push({ method, url, authz: route.config?.authz });
    if (route.config?.authz) return;
    let authz: RouteAuthz | undefined;
    if (route.prefix === deps.adminPrefix) authz = { delegated: 'admin-authorizer' };
    else if (url.startsWith('/api/docs')) authz = { public: 'the OpenAPI document and its viewer' };
    else if (!url.startsWith('/api/')) authz = { public: 'not an API route (health, metrics, the web app)' };
    if (!authz) return;
    route.config = { ...route.config, authz };
    for (let i = routes.length - methods.length; i < routes.length; i++) routes[i] = { ...routes[i]!, authz };
  });

  const sessionToken = (request: FastifyRequest): string | null => {
    const value = request.cookies[SESSION_COOKIE];
    return typeof value === 'string' && value.length > 0 ? value : null;
  };

  /** Looks once per request; the admin token wins over a cookie. */
  const identify = async (request: FastifyRequest): Promise<void> => {
    if (request.principal || request.account) return;
    const bearer = bearerToken(request);
    if (bearer !== null) {
      if (!timingSafeEqual(sha256(bearer), deps.adminTokenHash)) {
        throw new SeatwatchError('unauthorized', 'the bearer token is not the admin token');
      }
      request.principal = ADMIN_TOKEN_PRINCIPAL;
      return;
    }
    const token = sessionToken(request);
    if (token === null) return;
    const account = await deps.accounts.authenticate(token, deps.clientIp(request));
    if (!account) return;
    request.account = account;
    if (account.session.stage === 'full') request.principal = account.principal;
  };

  /** Cookies are ambient credentials: a state change made with one must carry the session's CSRF token. */
  const checkCsrf = (request: FastifyRequest) => {
    if (SAFE_METHODS.has(request.method) || !request.account) return;
    const token = sessionToken(request);
    if (!sameOrigin(request) || token === null || !csrfTokenValid(token, request.headers[CSRF_HEADER])) {
      throw new SeatwatchError('forbidden', `missing or wrong ${CSRF_HEADER} header`);
    }
  };

  app.addHook('onRequest', async (request) => {
    const authz = request.routeOptions.config.authz;
    // No route matched: the not-found handler answers.
    if (request.routeOptions.url === undefined) return;
    if (!authz) throw new SeatwatchError('forbidden', 'this route declares no authorization');
    if ('public' in authz || 'delegated' in authz) {
      if (!SAFE_METHODS.has(request.method) && !sameOrigin(request)) {
        throw new SeatwatchError('forbidden', 'cross-origin request');
      }
      return;
    }
    await identify(request);
    if ('signedIn' in authz) {
      if (!request.account || (authz.signedIn === 'full' && !request.principal)) {
        throw new SeatwatchError('unauthorized');
      }
      checkCsrf(request);
      return;
    }
    if (!request.principal) throw new SeatwatchError('unauthorized');
    checkCsrf(request);
    const allowed = authz.resource
      ? can(request.principal, authz.action, await authz.resource(request))
      : canAnywhere(request.principal, authz.action);
    if (!allowed) throw new SeatwatchError('forbidden');
  });

  const adminAuthorizer: AdminAuthorizer = async (request) => {
    await identify(request);
    const principal = request.principal;
    if (!principal)
      throw new SeatwatchError('unauthorized', 'sign in, or send the admin token as a bearer token');
    checkCsrf(request);
    const projectId = (request.params as { projectId?: unknown } | undefined)?.projectId;
    const listingProjects =
      request.method === 'GET' && request.routeOptions.url === `${deps.adminPrefix}/projects`;
    const allowed =
      typeof projectId === 'string'
        ? can(principal, 'project.manage', { kind: 'project', projectId })
        : listingProjects
          ? canAnywhere(principal, 'project.manage')
          : can(principal, 'installation.manage', INSTALLATION);
    if (!allowed) throw new SeatwatchError('forbidden');
    const scope = scopeOf(principal, 'project.manage');
    const actor: AdminActor = {
      actor: request.account ? `user:${request.account.user.username}` : 'admin-token',
      projectIds: scope.all ? null : [...scope.projects.keys()],
    };
    return actor;
  };

  return {
    routes,
    adminAuthorizer,
    sessionToken,
    setSessionCookie(request, reply, token) {
      const options = {
        path: '/',
        httpOnly: true,
        sameSite: 'strict' as const,
        secure: request.protocol === 'https',
      };
      if (token === null) reply.clearCookie(SESSION_COOKIE, options);
      else reply.setCookie(SESSION_COOKIE, token, options);
    },
  };
}
