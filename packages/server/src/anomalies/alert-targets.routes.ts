/** Where a project's alerts go (webhooks, syslog receivers) and the log of what was delivered. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, SeatwatchError } from '@seatwatch/shared';
import {
  type AlertDelivery,
  AlertDeliveryQuery,
  AlertDelivery as AlertDeliverySchema,
  SyslogTarget,
  SyslogTargetInput,
  Webhook,
  WebhookInput,
  WebhookList,
} from '@seatwatch/shared/dashboard-api';
import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Db } from '../db/connect.js';
import { anomalyAlertDeliveries, anomalySyslogTargets, anomalyWebhooks } from '../db/schema/index.js';
import { projectResource } from './route-support.js';

export interface AlertTargetRouteDeps {
  db: Db;
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

function webhookView(row: typeof anomalyWebhooks.$inferSelect): Webhook {
  return {
    id: row.id,
    projectId: row.projectId,
    url: row.url,
    description: row.description,
    enabled: row.enabled,
    minSeverity: row.minSeverity as Webhook['minSeverity'],
    rules: row.rules as Webhook['rules'],
    events: row.events as Webhook['events'],
    createdAt: row.createdAt.getTime(),
  };
}

function syslogView(row: typeof anomalySyslogTargets.$inferSelect): SyslogTarget {
  return {
    id: row.id,
    projectId: row.projectId,
    host: row.host,
    port: row.port,
    transport: row.transport,
    facility: row.facility,
    description: row.description,
    enabled: row.enabled,
    minSeverity: row.minSeverity as SyslogTarget['minSeverity'],
    rules: row.rules as SyslogTarget['rules'],
    events: row.events as SyslogTarget['events'],
    createdAt: row.createdAt.getTime(),
  };
}

function deliveryView(row: typeof anomalyAlertDeliveries.$inferSelect): AlertDelivery {
  return {
    id: row.id,
    targetKind: row.targetKind,
    targetId: row.targetId,
    anomalyId: row.anomalyId,
    event: row.event as AlertDelivery['event'],
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt?.getTime() ?? null,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    attemptLog: row.attemptLog,
    createdAt: row.createdAt.getTime(),
    deliveredAt: row.deliveredAt?.getTime() ?? null,
  };
}

function checkWebhookUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SeatwatchError('bad_request', 'url is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SeatwatchError('bad_request', 'url must be http or https');
  }
  // Credentials in a URL end up in logs and lists; a receiver authenticates us by the signature instead.
  if (parsed.username || parsed.password)
    throw new SeatwatchError('bad_request', 'url must not carry credentials');
}

export async function alertTargetRoutes(base: FastifyInstance, deps: AlertTargetRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;
  const project = projectResource(db);
  const read = { authz: { action: 'project.read' as const, resource: project } };
  const manage = { authz: { action: 'project.manage' as const, resource: project } };
  const prefix = '/api/v1/anomalies/projects/:projectId';

  app.get(
    `${prefix}/webhooks`,
    { config: read, schema: { tags, params: ProjectParams, response: { 200: WebhookList, ...errors } } },
    async (request) => {
      const rows = await db
        .select()
        .from(anomalyWebhooks)
        .where(eq(anomalyWebhooks.projectId, request.params.projectId))
        .orderBy(anomalyWebhooks.createdAt);
      return { webhooks: rows.map(webhookView), serverPublicKey: deps.serverPublicKey };
    },
  );

  app.post(
    `${prefix}/webhooks`,
    {
      config: manage,
      schema: { tags, params: ProjectParams, body: WebhookInput, response: { 201: Webhook, ...errors } },
    },
    async (request, reply) => {
      checkWebhookUrl(request.body.url);
      const [row] = await db
        .insert(anomalyWebhooks)
        .values({ projectId: request.params.projectId, ...request.body })
        .returning();
      return reply.status(201).send(webhookView(row!));
    },
  );

  app.put(
    `${prefix}/webhooks/:targetId`,
    {
      config: manage,
      schema: { tags, params: TargetParams, body: WebhookInput, response: { 200: Webhook, ...errors } },
    },
    async (request) => {
      checkWebhookUrl(request.body.url);
      const [row] = await db
        .update(anomalyWebhooks)
        .set(request.body)
        .where(
          and(
            eq(anomalyWebhooks.projectId, request.params.projectId),
            eq(anomalyWebhooks.id, request.params.targetId),
          ),
        )
        .returning();
      if (!row) throw new SeatwatchError('not_found', 'no such webhook');
      return webhookView(row);
    },
  );

  app.delete(
    `${prefix}/webhooks/:targetId`,
    { config: manage, schema: { tags, params: TargetParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const removed = await db
        .delete(anomalyWebhooks)
        .where(
          and(
            eq(anomalyWebhooks.projectId, request.params.projectId),
            eq(anomalyWebhooks.id, request.params.targetId),
          ),
        )
        .returning({ id: anomalyWebhooks.id });
      if (removed.length === 0) throw new SeatwatchError('not_found', 'no such webhook');
      return reply.status(204).send(null);
    },
  );

  app.get(
    `${prefix}/syslog`,
    {
      config: read,
      schema: { tags, params: ProjectParams, response: { 200: Type.Array(SyslogTarget), ...errors } },
    },
    async (request) => {
      const rows = await db
        .select()
        .from(anomalySyslogTargets)
        .where(eq(anomalySyslogTargets.projectId, request.params.projectId))
        .orderBy(anomalySyslogTargets.createdAt);
      return rows.map(syslogView);
    },
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
    async (request, reply) => {
      const [row] = await db
        .insert(anomalySyslogTargets)
        .values({ projectId: request.params.projectId, ...request.body })
        .returning();
      return reply.status(201).send(syslogView(row!));
    },
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
    async (request) => {
      const [row] = await db
        .update(anomalySyslogTargets)
        .set(request.body)
        .where(
          and(
            eq(anomalySyslogTargets.projectId, request.params.projectId),
            eq(anomalySyslogTargets.id, request.params.targetId),
          ),
        )
        .returning();
      if (!row) throw new SeatwatchError('not_found', 'no such syslog target');
      return syslogView(row);
    },
  );

  app.delete(
    `${prefix}/syslog/:targetId`,
    { config: manage, schema: { tags, params: TargetParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      const removed = await db
        .delete(anomalySyslogTargets)
        .where(
          and(
            eq(anomalySyslogTargets.projectId, request.params.projectId),
            eq(anomalySyslogTargets.id, request.params.targetId),
          ),
        )
        .returning({ id: anomalySyslogTargets.id });
      if (removed.length === 0) throw new SeatwatchError('not_found', 'no such syslog target');
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
    async (request) => {
      const q = request.query;
      const conditions: SQL[] = [eq(anomalyAlertDeliveries.projectId, request.params.projectId)];
      if (q.targetId) conditions.push(eq(anomalyAlertDeliveries.targetId, q.targetId));
      if (q.anomalyId) conditions.push(eq(anomalyAlertDeliveries.anomalyId, q.anomalyId));
      if (q.status) conditions.push(eq(anomalyAlertDeliveries.status, q.status));
      const rows = await db
        .select()
        .from(anomalyAlertDeliveries)
        .where(and(...conditions))
        .orderBy(desc(anomalyAlertDeliveries.createdAt), desc(anomalyAlertDeliveries.id))
        .limit(q.limit ?? 100);
      return rows.map(deliveryView);
    },
  );
}
