/** Reading anomalies (the anomaly issue adds status changes and rule settings). */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { listAnomalies } from '../anomalies/anomalies.repository.js';
import type { AnomalyStatus } from '../db/schema/index.js';
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
      listAnomalies(deps.db, {
        projectId: request.params.projectId,
        status: request.query.status as AnomalyStatus | undefined,
        rule: request.query.rule,
        limit: request.query.limit,
      }),
  );
}
