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
  type NearbyScreenshot,
} from '@seatwatch/shared/dashboard-api';
import { and, desc, eq, gte, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { type Db, queryRows } from '../db/connect.js';
import { anomalies } from '../db/schema/index.js';
import { scopeCondition } from '../db/scope-condition.js';
import { scopeOf } from '../domain/authz-policy.js';
import { SEVERITIES, severityRank } from '../domain/rules/anomaly.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import { announceStatus, changeAnomalyStatus } from './anomaly-status.js';
import { viewsOf } from './anomaly-view.js';
import { actorOf, anomalyResource } from './route-support.js';

export interface AnomalyRouteDeps {
  db: Db;
  notifications: NotificationPort;
  now: () => number;
  onError: (error: unknown) => void;
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
  const { db } = deps;
  const resource = anomalyResource(db);

  app.get(
    '/api/v1/anomalies',
    {
      config: { authz: { action: 'anomaly.read' } },
      schema: { tags, querystring: AnomalyListQuery, response: { 200: AnomalyList, ...errors } },
    },
    async (request, reply) => {
      const q = request.query;
      const limit = q.limit ?? 100;
      const conditions: SQL[] = [
        scopeCondition(
          scopeOf(request.principal, 'anomaly.read'),
          sql`${anomalies.projectId}`,
          sql`${anomalies.teamId}`,
        ),
      ];
      if (q.projectId) conditions.push(eq(anomalies.projectId, q.projectId));
      if (q.teamId) conditions.push(eq(anomalies.teamId, q.teamId));
      if (q.seatId) conditions.push(eq(anomalies.seatId, q.seatId));
      if (q.agentId) conditions.push(eq(anomalies.agentId, q.agentId));
      const statuses = csv(q.status, ANOMALY_STATUSES, 'status');
      if (statuses) conditions.push(inArray(anomalies.status, statuses));
      const rules = csv(q.rule, ANOMALY_RULES, 'rule');
      if (rules) conditions.push(inArray(anomalies.rule, rules));
      if (q.minSeverity) {
        const floor = severityRank(q.minSeverity);
        conditions.push(
          inArray(
            anomalies.severity,
            SEVERITIES.filter((s) => severityRank(s) >= floor),
          ),
        );
      }
      if (q.from !== undefined) conditions.push(gte(anomalies.lastAt, new Date(q.from)));
      if (q.to !== undefined) conditions.push(lt(anomalies.firstAt, new Date(q.to)));
      if (q.cursor) {
        const after = decodeCursor(q.cursor);
        conditions.push(
          or(
            lt(anomalies.lastAt, after.lastAt),
            and(eq(anomalies.lastAt, after.lastAt), lt(anomalies.id, after.id)),
          )!,
        );
      }
      const rows = await db
        .select()
        .from(anomalies)
        .where(and(...conditions))
        .orderBy(desc(anomalies.lastAt), desc(anomalies.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      if (rows.length > limit && last)
        reply.header(NEXT_CURSOR_HEADER, encodeCursor(last.lastAt.getTime(), last.id));
      return viewsOf(db, page);
    },
  );

  app.get(
    '/api/v1/anomalies/:anomalyId',
    {
      config: { authz: { action: 'anomaly.read', resource } },
      schema: { tags, params: AnomalyParams, response: { 200: AnomalyDetail, ...errors } },
    },
    async (request) => {
      const rows = await db.select().from(anomalies).where(eq(anomalies.id, request.params.anomalyId));
      const [anomaly] = await viewsOf(db, rows);
      if (!anomaly) throw new SeatwatchError('not_found', 'no such anomaly');
      return { anomaly, screenshots: await nearestScreenshots(db, anomaly) };
    },
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
    async (request) => {
      const row = await changeAnomalyStatus(db, {
        id: request.params.anomalyId,
        status: request.body.status,
        comment: request.body.comment,
        by: actorOf(request),
        now: deps.now(),
      });
      announceStatus(deps.notifications, row, deps.onError);
      const [view] = await viewsOf(db, [row]);
      return view!;
    },
  );
}

/** The seat's screenshots just before and after the first and the last occurrence. */
async function nearestScreenshots(
  db: Db,
  anomaly: { seatId: string | null; firstAt: number; lastAt: number },
): Promise<NearbyScreenshot[]> {
  if (!anomaly.seatId) return [];
  const times = [...new Set([anomaly.firstAt, anomaly.lastAt])];
  const around = times.map(
    (t) => sql`
      (select id, time from screenshots where seat_id = ${anomaly.seatId} and time <= ${new Date(t).toISOString()}::timestamptz
       order by time desc limit 1)
      union
      (select id, time from screenshots where seat_id = ${anomaly.seatId} and time > ${new Date(t).toISOString()}::timestamptz
       order by time asc limit 1)`,
  );
  const rows = await queryRows<{ id: number | string; time: string | Date }>(
    db,
    sql`select distinct id, time from (${sql.join(around, sql` union `)}) s order by time`,
  );
  return rows.map((r) => {
    const time = new Date(r.time).getTime();
    return { id: String(r.id), time, offsetMs: time - anomaly.firstAt };
  });
}
