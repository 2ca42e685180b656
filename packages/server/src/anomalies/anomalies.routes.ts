/**
 * Anomalies: the list (filtered to what the caller may see), one anomaly
 * with the screenshots nearest to it, and status changes with a comment.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, SeatwatchError } from '@seatwatch/shared';
import {
  ANOMALY_RULES,
  ANOMALY_STATUSES,
  Anomaly,
  AnomalyDetail,
  AnomalyList,
  AnomalyListQuery,
  AnomalyStatusChange,
  NEXT_CURSOR_HEADER,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { scopeOf } from '../domain/authz-policy.js';
import { SEVERITIES, severityRank } from '../domain/rules/anomaly.js';
import type { AnomalyService } from './anomaly.service.js';
import { actorOf, anomalyResource } from './route-support.js';

export interface AnomalyRouteDeps {
  anomalies: AnomalyService;
}

const tags = ['anomalies'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const AnomalyParams = Type.Object({ anomalyId: Type.String({ minLength: 1, maxLength: 128 }) });

function csv<T extends string>(value: string | undefined, allowed: readonly T[], what: string): T[] | null {
  if (value === undefined) return null;
  const items = value.split(',');
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item))
      throw new SeatwatchError('bad_request', `unknown ${what} "${item}"`);
  }
  return items as T[];
}

/** The cursor is the last row's (lastAt, id): rows sort by lastAt, then id, both descending. */
function encodeCursor(lastAt: number, id: string): string {
  return Buffer.from(`${lastAt}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { lastAt: Date; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):(.{1,128})$/s.exec(text);
  if (!match) throw new SeatwatchError('bad_request', 'malformed cursor');
  return { lastAt: new Date(Number(match[1])), id: match[2]! };
}

export async function anomalyRoutes(base: FastifyInstance, deps: AnomalyRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { anomalies } = deps;
  const resource = anomalyResource((id) => anomalies.placeOf(id));

  app.get(
    '/api/v1/anomalies',
    {
      config: { authz: { action: 'anomaly.read' } },
      schema: { tags, querystring: AnomalyListQuery, response: { 200: AnomalyList, ...errors } },
    },
    async (request, reply) => {
      const q = request.query;
      const limit = q.limit ?? 100;
      const floor = q.minSeverity ? severityRank(q.minSeverity) : null;
      const { page, more } = await anomalies.list({
        scope: scopeOf(request.principal, 'anomaly.read'),
        projectId: q.projectId,
        teamId: q.teamId,
        seatId: q.seatId,
        agentId: q.agentId,
        statuses: csv(q.status, ANOMALY_STATUSES, 'status'),
        rules: csv(q.rule, ANOMALY_RULES, 'rule'),
        severities: floor === null ? null : SEVERITIES.filter((s) => severityRank(s) >= floor),
        from: q.from,
        to: q.to,
        after: q.cursor ? decodeCursor(q.cursor) : null,
        limit,
      });
      const last = page.at(-1);
      if (more && last) reply.header(NEXT_CURSOR_HEADER, encodeCursor(last.lastAt, last.id));
      return page;
    },
  );

  app.get(
    '/api/v1/anomalies/:anomalyId',
    {
      config: { authz: { action: 'anomaly.read', resource } },
      schema: { tags, params: AnomalyParams, response: { 200: AnomalyDetail, ...errors } },
    },
    (request) => anomalies.detail(request.params.anomalyId),
  );

  app.post(
    '/api/v1/anomalies/:anomalyId/status',
    {
      config: { authz: { action: 'anomaly.update', resource } },
      schema: {
        tags,
        params: AnomalyParams,
        body: AnomalyStatusChange,
        response: { 200: Anomaly, ...errors },
      },
    },
    (request) =>
      anomalies.changeStatus({
        id: request.params.anomalyId,
        status: request.body.status,
        comment: request.body.comment,
        by: actorOf(request),
      }),
  );
}
