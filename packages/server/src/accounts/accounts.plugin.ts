/**
 * Accounts and sign-in (issue #6): the route guard, registered on the root
 * app before any other route so that it sees every route that follows, then
 * sign-in, sessions and the administration of dashboard users.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountService } from './account.service.js';
import { authRoutes } from './auth.routes.js';
import { type RouteGuard, registerRouteGuard } from './route-guard.js';
import { userRoutes } from './users.routes.js';

export interface AccountsDeps {
  accounts: AccountService;
  /** SHA-256 of the admin token (CLI and automation). */
  adminTokenHash: Buffer;
  clientIp: (request: FastifyRequest) => string;
  adminPrefix: string;
  publicUrl: string | undefined;
}

/** Sign-in attempts per client IP per minute. */
const LOGIN_RATE_LIMIT = 20;

export async function registerAccounts(app: FastifyInstance, deps: AccountsDeps): Promise<RouteGuard> {
  const { accounts } = deps;
  const guard = await registerRouteGuard(app, {
    accounts,
    adminTokenHash: deps.adminTokenHash,
    clientIp: deps.clientIp,
    adminPrefix: deps.adminPrefix,
  });
  await app.register(authRoutes, {
    accounts,
    guard,
    clientIp: deps.clientIp,
    loginRateLimit: LOGIN_RATE_LIMIT,
  });
  await app.register(userRoutes, { accounts, clientIp: deps.clientIp, publicUrl: deps.publicUrl });
  return guard;
}
