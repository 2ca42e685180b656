/** Liveness and readiness for orchestrators and load balancers. */
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/connect.js';
import { pingDatabase } from './health.repository.js';

export interface HealthDeps {
  db: Db;
  /** False once shutdown has begun. */
  accepting: () => boolean;
}

export async function healthRoutes(app: FastifyInstance, deps: HealthDeps): Promise<void> {
  app.get('/healthz', { schema: { tags: ['operations'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['operations'] } }, async (request, reply) => {
    if (!deps.accepting()) {
      return reply.status(503).send({ error: 'unavailable', message: 'shutting down' });
    }
    try {
      await pingDatabase(deps.db);
    } catch (error) {
      request.log.warn({ err: error }, 'readiness: database unreachable');
      return reply.status(503).send({ error: 'unavailable', message: 'database unreachable' });
    }
    return { status: 'ready' };
  });
}
