/** The investigation timeline and full-resolution screenshots: investigators only, each read audited. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@seatwatch/shared';
import {
  ScreenshotViewRequest,
  Timeline,
  TimelineRequest,
  TimelineSeat,
  TimelineSummary,
  TimelineSummaryRequest,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requestActor } from '../audit/request-actor.js';
import { scopeOf } from '../domain/authz-policy.js';
import type { TimelineService } from './timeline.service.js';

const tags = ['investigation'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const ScreenshotParams = Type.Object({ screenshotId: Type.String({ pattern: '^[0-9]{1,18}$' }) });

export async function timelineRoutes(
  base: FastifyInstance,
  deps: { timeline: TimelineService },
): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { timeline } = deps;

  app.get(
    '/api/v1/investigation/seats',
    {
      config: { authz: { action: 'timeline.read' } },
      schema: { tags, response: { 200: Type.Array(TimelineSeat), ...errors } },
    },
    (request) => timeline.seats(scopeOf(request.principal, 'timeline.read')),
  );

  app.post(
    '/api/v1/investigation/timeline',
    {
      config: { authz: { action: 'timeline.read' } },
      schema: { tags, body: TimelineRequest, response: { 200: Timeline, ...errors } },
    },
    (request) => timeline.read(request.principal!, requestActor(request), request.body),
  );

  app.post(
    '/api/v1/investigation/timeline/summary',
    {
      config: { authz: { action: 'timeline.read' } },
      schema: {
        tags,
        description:
          'The visual timeline zoomed out: per seat and time bucket, the application and state with most ' +
          'of the time, and counts of screenshots, anomalies, device events and sign-ins. One access ' +
          'entry per view (timeline.summary, naming every seat), folded per minute like other reads.',
        body: TimelineSummaryRequest,
        response: { 200: TimelineSummary, ...errors },
      },
    },
    (request) => timeline.summary(request.principal!, requestActor(request), request.body),
  );

  const screenshotResource = (request: FastifyRequest) =>
    timeline.screenshotResource((request.params as { screenshotId: string }).screenshotId);

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
      const { bytes, mime } = await timeline.viewScreenshot(
        request.principal!,
        requestActor(request),
        request.params.screenshotId,
        request.body,
      );
      return reply
        .header('content-type', mime)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(Buffer.from(bytes));
    },
  );
}
