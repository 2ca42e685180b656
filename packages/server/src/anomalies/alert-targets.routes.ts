/** Where a project's alerts go (webhooks, syslog receivers) and the log of what was delivered: HTTP only. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@seatwatch/shared';
import {
  AlertDeliveryQuery,
  AlertDelivery as AlertDeliverySchema,
  SyslogTarget,
  SyslogTargetInput,
  Webhook,
  WebhookInput,
  WebhookList,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { AlertTargetService } from './alert-targets.service.js';
import { projectResource } from './route-support.js';

export interface AlertTargetRouteDeps {
  targets: AlertTargetService;
  /** not_found unless the project exists. */
  requireProject: (projectId: string) => Promise<void>;
  /** Base64 server key that verifies webhook signatures. */
  serverPublicKey: string;
}

const tags = ['anomaly alerts'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 128 }) });
const TargetParams = Type.Object({
  projectId: ProjectParams.properties.projectId,
  targetId: Type.String({ minLength: 1, maxLength: 128 }),
});

export async function alertTargetRoutes(base: FastifyInstance, deps: AlertTargetRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { targets } = deps;
  const project = projectResource(deps.requireProject);
  const read = { authz: { action: 'project.read' as const, resource: project } };
  const manage = { authz: { action: 'project.manage' as const, resource: project } };
  const prefix = '/api/v1/anomalies/projects/:projectId';

  app.get(
    `${prefix}/webhooks`,
    { config: read, schema: { tags, params: ProjectParams, response: { 200: WebhookList, ...errors } } },
    async (request) => ({
      webhooks: await targets.webhooks.list(request.params.projectId),
      serverPublicKey: deps.serverPublicKey,
    }),
  );

  app.post(
    `${prefix}/webhooks`,
    {
      config: manage,
      schema: { tags, params: ProjectParams, body: WebhookInput, response: { 201: Webhook, ...errors } },
    },
    async (request, reply) =>
      reply.status(201).send(await targets.webhooks.create(request.params.projectId, request.body)),
  );

  app.put(
    `${prefix}/webhooks/:targetId`,
    {
      config: manage,
      schema: { tags, params: TargetParams, body: WebhookInput, response: { 200: Webhook, ...errors } },
    },
    (request) => targets.webhooks.update(request.params.projectId, request.params.targetId, request.body),
  );

  app.delete(
    `${prefix}/webhooks/:targetId`,
    { config: manage, schema: { tags, params: TargetParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await targets.webhooks.remove(request.params.projectId, request.params.targetId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    `${prefix}/syslog`,
    {
      config: read,
      schema: { tags, params: ProjectParams, response: { 200: Type.Array(SyslogTarget), ...errors } },
    },
    (request) => targets.syslog.list(request.params.projectId),
  );

  app.post(
    `${prefix}/syslog`,
    {
      config: manage,
      schema: {
        tags,
        params: ProjectParams,
        body: SyslogTargetInput,
        response: { 201: SyslogTarget, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await targets.syslog.create(request.params.projectId, request.body)),
  );

  app.put(
    `${prefix}/syslog/:targetId`,
    {
      config: manage,
      schema: {
        tags,
        params: TargetParams,
        body: SyslogTargetInput,
        response: { 200: SyslogTarget, ...errors },
      },
    },
    (request) => targets.syslog.update(request.params.projectId, request.params.targetId, request.body),
  );

  app.delete(
    `${prefix}/syslog/:targetId`,
    { config: manage, schema: { tags, params: TargetParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await targets.syslog.remove(request.params.projectId, request.params.targetId);
      return reply.status(204).send(null);
    },
  );

  app.get(
    `${prefix}/deliveries`,
    {
      config: read,
      schema: {
        tags,
        params: ProjectParams,
        querystring: AlertDeliveryQuery,
        response: { 200: Type.Array(AlertDeliverySchema), ...errors },
      },
    },
    (request) => targets.deliveries(request.params.projectId, request.query),
  );
}
