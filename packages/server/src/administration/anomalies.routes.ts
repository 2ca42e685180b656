/** Reading a project's anomalies with the admin token (people use /api/v1/anomalies). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AnomalyStatus } from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { listProjectAnomalies } from '../anomalies/anomaly.service.js';
import type { AdminRouteDeps } from './admin-route-deps.js';
import { Anomaly, AnomalyQuery, ProjectParams } from './admin-schemas.js';

export async function anomalyRoutes(base: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/projects/:projectId/anomalies',
    {
      schema: {
        tags: ['anomalies'],
        params: ProjectParams,
        querystring: AnomalyQuery,
        response: { 200: Type.Array(Anomaly) },
      },
    },
    (request) =>
      listProjectAnomalies(deps.db, {
        projectId: request.params.projectId,
        status: request.query.status as AnomalyStatus | undefined,
        rule: request.query.rule,
        limit: request.query.limit,
      }),
  );
}
