/** POST /api/v1/enroll (protocol v1 "Enrollment"), rate limited per client IP. */

import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { EnrollRequest, EnrollResponse, ErrorBody, SeatwatchError } from '@seatwatch/shared';
import type { FastifyInstance } from 'fastify';
import { requestClientIp } from '../access/request-client-ip.js';
import { clientIp, type IpPredicate } from '../domain/client-ip.js';
import type { Enroll } from './enrollment.service.js';

export interface EnrollRouteDeps {
  enroll: Enroll;
  isTrustedProxy: IpPredicate;
  rateLimit: { max: number; windowMs: number };
}

export async function enrollRoutes(base: FastifyInstance, deps: EnrollRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  await app.register(rateLimit, {
    global: false,
    keyGenerator: (request) => requestClientIp(request, deps.isTrustedProxy),
    errorResponseBuilder: () => new SeatwatchError('rate_limited'),
  });
  app.post(
    '/api/v1/enroll',
    {
      config: {
        authz: { public: 'agents enroll with a one-time enrollment token' },
        rateLimit: { max: deps.rateLimit.max, timeWindow: deps.rateLimit.windowMs },
      },
      schema: {
        tags: ['enrollment'],
        description:
          'Enrolls a seat agent with a one-time enrollment token. The caller IP must be on the project allowlist.',
        body: EnrollRequest,
        response: { 201: EnrollResponse, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 429: ErrorBody },
      },
    },
    async (request, reply) => {
      const ip = requestClientIp(request, deps.isTrustedProxy);
      const peerIp = clientIp(request.raw.socket.remoteAddress ?? '', undefined, () => false);
      return reply.status(201).send(await deps.enroll(request.body, { ip, peerIp }));
    },
  );
}
