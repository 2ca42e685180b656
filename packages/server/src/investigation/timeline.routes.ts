/** The investigation timeline and full-resolution screenshots: investigators only, each read audited. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, SeatwatchError } from '@seatwatch/shared';
import {
  ScreenshotViewRequest,
  Timeline,
  TimelineRequest,
  TimelineSeat,
} from '@seatwatch/shared/dashboard-api';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { recordAudit } from '../audit/audit-log.js';
import { requestActor } from '../audit/request-actor.js';
import { type Db, queryRows } from '../db/connect.js';
import { type Resource, scopeOf } from '../domain/authz-policy.js';
import type { InvestigationDeps } from './investigation-deps.js';
import { checkPurpose } from './purpose.js';
import { readTimeline, timelineSeats } from './timeline.js';
import { seatsInScope } from './timeline.queries.js';

const tags = ['investigation'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const ScreenshotParams = Type.Object({ screenshotId: Type.String({ pattern: '^[0-9]{1,18}$' }) });

interface ShotRow {
  id: string | number;
  project_id: string;
  seat_id: string;
  team_id: string | null;
  sha256: string;
  mime: string;
  time: Date | string;
}

async function findScreenshot(db: Db, id: string): Promise<ShotRow | null> {
  const [row] = await queryRows<ShotRow>(
    db,
    sql`select sh.id, sh.project_id, sh.seat_id, s.team_id, sh.sha256, sh.mime, sh.time
        from screenshots sh join seats s on s.id = sh.seat_id where sh.id = ${id}::bigint`,
  );
  return row ?? null;
}

/** The mime type comes from the seat: only image types pass, anything else is served as bytes. */
export function safeImageType(mime: string): string {
  return ['image/jpeg', 'image/webp', 'image/png'].includes(mime) ? mime : 'application/octet-stream';
}

export async function timelineRoutes(base: FastifyInstance, deps: InvestigationDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;

  app.get(
    '/api/v1/investigation/seats',
    {
      config: { authz: { action: 'timeline.read' } },
      schema: { tags, response: { 200: Type.Array(TimelineSeat), ...errors } },
    },
    (request) => seatsInScope(db, scopeOf(request.principal, 'timeline.read')),
  );

  app.post(
    '/api/v1/investigation/timeline',
    {
      config: { authz: { action: 'timeline.read' } },
      schema: { tags, body: TimelineRequest, response: { 200: Timeline, ...errors } },
    },
    async (request) => {
      const principal = request.principal!;
      const body = request.body;
      const seats = await timelineSeats(db, principal, body);
      const purpose = await checkPurpose(db, principal, body, [
        ...new Set(seats.map((seat) => seat.projectId)),
      ]);
      const timeline = await readTimeline(db, seats, body);
      const who = requestActor(request);
      const at = deps.now();
      await db.transaction(async (tx) => {
        for (const seat of seats) {
          await recordAudit(
            tx,
            {
              ...who,
              action: 'timeline.read',
              projectId: seat.projectId,
              seatId: seat.id,
              caseId: purpose.caseId,
              reason: purpose.reason,
              target: { kind: 'seat', id: seat.id },
              details: {
                from: body.from,
                to: body.to,
                q: body.q ?? null,
                apps: body.apps ?? [],
                operators: body.operators ?? [],
                sections: body.sections ?? 'all',
                page: body.cursors ?? null,
              },
            },
            at,
          );
        }
      });
      return timeline;
    },
  );

  const screenshotResource = async (request: FastifyRequest): Promise<Resource> => {
    const id = (request.params as { screenshotId: string }).screenshotId;
    const shot = /^[0-9]{1,18}$/.test(id) ? await findScreenshot(db, id) : null;
    if (!shot) throw new SeatwatchError('not_found', 'no such screenshot');
    return { kind: 'team', projectId: shot.project_id, teamId: shot.team_id };
  };

  app.post(
    '/api/v1/investigation/screenshots/:screenshotId/view',
    {
      config: { authz: { action: 'screenshot.full', resource: screenshotResource } },
      schema: {
        tags,
        params: ScreenshotParams,
        body: ScreenshotViewRequest,
        response: { 200: Type.Unknown({ description: 'the image, as the seat sent it' }), ...errors },
      },
    },
    async (request, reply) => {
      const shot = (await findScreenshot(db, request.params.screenshotId))!;
      const purpose = await checkPurpose(db, request.principal!, request.body, [shot.project_id]);
      const bytes = await deps.blobs.get(shot.sha256);
      if (!bytes) throw new SeatwatchError('not_found', 'the screenshot is gone (retention)');
      await recordAudit(
        db,
        {
          ...requestActor(request),
          action: 'screenshot.view',
          projectId: shot.project_id,
          seatId: shot.seat_id,
          caseId: purpose.caseId,
          reason: purpose.reason,
          target: { kind: 'screenshot', id: String(shot.id) },
          details: { time: new Date(shot.time).getTime(), sha256: shot.sha256 },
        },
        deps.now(),
      );
      return reply
        .header('content-type', safeImageType(shot.mime))
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(Buffer.from(bytes));
    },
  );
}
