/**
 * The investigation API (issue #7): the timeline with full screenshots, and
 * the operator self-view. Registered on the root app after the route guard
 * (which checks every route's `config.authz`); cases and the audit log are
 * features of their own (cases/, audit/).
 */
import type { FastifyInstance } from 'fastify';
import type { InvestigationServiceDeps } from './investigation-deps.js';
import { selfViewRoutes } from './self-view.routes.js';
import { createSelfViewService } from './self-view.service.js';
import { timelineRoutes } from './timeline.routes.js';
import { createTimelineService } from './timeline.service.js';

export interface InvestigationDeps extends InvestigationServiceDeps {
  /** The URL people open the dashboard at (self-view links), else the request's own origin. */
  publicUrl: string | undefined;
}

export async function investigationRoutes(app: FastifyInstance, deps: InvestigationDeps): Promise<void> {
  const services = {
    db: deps.db,
    blobs: deps.blobs,
    thumbnails: deps.thumbnails,
    access: deps.access,
    now: deps.now,
  };
  await app.register(timelineRoutes, { timeline: createTimelineService(services) });
  await app.register(selfViewRoutes, {
    selfView: createSelfViewService(services),
    publicUrl: deps.publicUrl,
  });
}
