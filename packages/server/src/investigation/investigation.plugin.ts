/**
 * The investigation API (issue #7): the timeline with full screenshots, and
 * the operator self-view. Registered on the root app after the route guard
 * (which checks every route's `config.authz`); cases and the audit log are
 * features of their own (cases/, audit/).
 */
import type { FastifyInstance } from 'fastify';
import type { InvestigationDeps } from './investigation-deps.js';
import { selfViewRoutes } from './self-view.routes.js';
import { timelineRoutes } from './timeline.routes.js';

export async function investigationRoutes(app: FastifyInstance, deps: InvestigationDeps): Promise<void> {
  await app.register(timelineRoutes, deps);
  await app.register(selfViewRoutes, deps);
}
