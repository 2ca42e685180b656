/**
 * /api/v1/admin/**: the administration API (the CLI speaks it too). Every
 * request passes the authorizer first; every project-scoped route checks
 * that the project exists before its handler runs.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { FastifyInstance } from 'fastify';
import { findProject } from '../tenancy/tenancy.repository.js';
import { accessRoutes } from './access.routes.js';
import type { AdminRouteDeps } from './admin-route-deps.js';
import { agentRoutes } from './agents.routes.js';
import { anomalyRoutes } from './anomalies.routes.js';
import { projectRoutes } from './projects.routes.js';
import { seatRoutes } from './seats.routes.js';

export const ADMIN_PREFIX = '/api/v1/admin';

export async function administrationRoutes(app: FastifyInstance, options: AdminRouteDeps): Promise<void> {
  // Fastify passes the register options (with `prefix`) here; the child plugins get only the deps.
  const deps: AdminRouteDeps = {
    db: options.db,
    commands: options.commands,
    authorize: options.authorize,
    policies: options.policies,
    legalHoldChanged: options.legalHoldChanged,
    seatPlacement: options.seatPlacement,
    now: options.now,
  };
  app.decorateRequest('admin', null);
  app.addHook('onRequest', async (request) => {
    request.admin = await deps.authorize(request);
  });
  app.addHook('preHandler', async (request) => {
    const projectId = (request.params as { projectId?: string } | undefined)?.projectId;
    if (projectId !== undefined && !(await findProject(deps.db, projectId))) {
      throw new SeatwatchError('not_found', 'no such project');
    }
  });
  await app.register(projectRoutes, deps);
  await app.register(seatRoutes, deps);
  await app.register(accessRoutes, deps);
  await app.register(agentRoutes, deps);
  await app.register(anomalyRoutes, deps);
}
