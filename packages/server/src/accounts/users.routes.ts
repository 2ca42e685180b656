/**
 * Account administration: users and their roles, setup links, sign-in
 * throttles, the dashboard IP allowlist, per-project dashboard settings. Who may change
 * which account is decided by canManageGrants (a project administrator
 * never touches an account that also lives in another project).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@seatwatch/shared';
import {
  CreateUserRequest,
  DashboardAllowlist,
  GrantOptions,
  ProjectDashboardSettings,
  SetupLinkResponse,
  SignInThrottle,
  UpdateUserRequest,
  UserRow,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { INSTALLATION } from '../domain/authz-policy.js';
import type { DashboardAllowlistService } from './dashboard-allowlist.service.js';
import type { ProjectSettingsService } from './project-settings.service.js';
import type { SignInThrottleService } from './sign-in-throttles.service.js';
import type { SetupLink, UserAdministrationService } from './user-administration.service.js';

export interface UserRouteDeps {
  accounts: UserAdministrationService &
    DashboardAllowlistService &
    ProjectSettingsService &
    SignInThrottleService;
  clientIp: (request: FastifyRequest) => string;
  /** The URL people open the dashboard at, when configured (else the request's own origin). */
  publicUrl: string | undefined;
}

const tags = ['dashboard users'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const UserParams = Type.Object({ userId: Type.String({ minLength: 1, maxLength: 128 }) });
const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 128 }) });

function actorOf(request: FastifyRequest): string {
  return request.account ? `user:${request.account.user.username}` : 'admin-token';
}

export async function userRoutes(base: FastifyInstance, deps: UserRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { accounts } = deps;

  /** The token goes in the fragment: browsers never send it to a server or put it in a Referer. */
  const linkBody = (request: FastifyRequest, link: SetupLink) => {
    const origin = deps.publicUrl?.replace(/\/+$/, '') ?? `${request.protocol}://${request.headers.host}`;
    return { user: link.user, setupUrl: `${origin}/setup#token=${link.token}`, expiresAt: link.expiresAt };
  };

  app.get(
    '/api/v1/admin/users',
    {
      config: { authz: { action: 'user.manage' } },
      schema: { tags, response: { 200: Type.Array(UserRow), ...errors } },
    },
    (request) => accounts.listUsers(request.principal!),
  );

  app.get(
    '/api/v1/admin/users/grant-options',
    {
      config: { authz: { action: 'user.manage' } },
      schema: { tags, response: { 200: GrantOptions, ...errors } },
    },
    (request) => accounts.grantOptions(request.principal!),
  );

  app.post(
    '/api/v1/admin/users',
    {
      config: { authz: { action: 'user.manage' } },
      schema: { tags, body: CreateUserRequest, response: { 201: SetupLinkResponse, ...errors } },
    },
    async (request, reply) => {
      const link = await accounts.createUser(request.principal!, request.body, actorOf(request));
      return reply.status(201).send(linkBody(request, link));
    },
  );

  app.patch(
    '/api/v1/admin/users/:userId',
    {
      config: { authz: { action: 'user.manage' } },
      schema: { tags, params: UserParams, body: UpdateUserRequest, response: { 200: UserRow, ...errors } },
    },
    (request) => accounts.updateUser(request.principal!, request.params.userId, request.body),
  );

  app.post(
    '/api/v1/admin/users/:userId/setup-link',
    {
      config: { authz: { action: 'user.manage' } },
      schema: { tags, params: UserParams, response: { 200: SetupLinkResponse, ...errors } },
    },
    async (request) =>
      linkBody(
        request,
        await accounts.newSetupLink(request.principal!, request.params.userId, actorOf(request)),
      ),
  );

  app.delete(
    '/api/v1/admin/users/:userId/sessions',
    {
      config: { authz: { action: 'user.manage' } },
      schema: { tags, params: UserParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await accounts.revokeUserSessions(request.principal!, request.params.userId);
      return reply.status(204).send(null);
    },
  );

  const installation = { action: 'installation.manage', resource: async () => INSTALLATION } as const;

  app.get(
    '/api/v1/admin/dashboard-allowlist',
    { config: { authz: installation }, schema: { tags, response: { 200: DashboardAllowlist, ...errors } } },
    async (request) => ({ entries: await accounts.dashboardAllowlist(request.principal!) }),
  );

  app.put(
    '/api/v1/admin/dashboard-allowlist',
    {
      config: { authz: installation },
      schema: { tags, body: DashboardAllowlist, response: { 200: DashboardAllowlist, ...errors } },
    },
    async (request) => ({
      entries: await accounts.saveDashboardAllowlist(
        request.principal!,
        request.body.entries,
        deps.clientIp(request),
      ),
    }),
  );

  // Throttles name user names that need not exist and client addresses: installation-wide, like the allowlist.
  app.get(
    '/api/v1/admin/sign-in-throttles',
    {
      config: { authz: installation },
      schema: { tags, response: { 200: Type.Array(SignInThrottle), ...errors } },
    },
    () => accounts.signInThrottles(),
  );

  app.delete(
    '/api/v1/admin/sign-in-throttles/:throttleId',
    {
      config: { authz: installation },
      schema: {
        tags,
        params: Type.Object({ throttleId: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await accounts.clearSignInThrottle(request.params.throttleId, {
        actor: actorOf(request),
        actorId: request.account?.user.id ?? null,
        ip: deps.clientIp(request),
      });
      return reply.status(204).send(null);
    },
  );

  const project = {
    action: 'project.manage',
    resource: async (request: FastifyRequest) => ({
      kind: 'project' as const,
      projectId: (request.params as { projectId: string }).projectId,
    }),
  } as const;

  app.get(
    '/api/v1/admin/projects/:projectId/dashboard-settings',
    {
      config: { authz: project },
      schema: { tags, params: ProjectParams, response: { 200: ProjectDashboardSettings, ...errors } },
    },
    (request) => accounts.projectSettings(request.params.projectId),
  );

  app.put(
    '/api/v1/admin/projects/:projectId/dashboard-settings',
    {
      config: { authz: project },
      schema: {
        tags,
        params: ProjectParams,
        body: ProjectDashboardSettings,
        response: { 200: ProjectDashboardSettings, ...errors },
      },
    },
    (request) => accounts.saveProjectSettings(request.params.projectId, request.body),
  );
}
