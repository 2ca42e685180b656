/** Who made a request, as the audit log names them. */
import type { FastifyRequest } from 'fastify';

export interface RequestActor {
  actor: string;
  actorId: string | null;
  ip: string;
}

export function requestActor(request: FastifyRequest): RequestActor {
  if (request.account) {
    return {
      actor: `user:${request.account.user.username}`,
      actorId: request.account.user.id,
      ip: request.ip,
    };
  }
  if (request.principal?.kind === 'token' || request.admin) {
    return { actor: request.admin?.actor ?? 'admin-token', actorId: null, ip: request.ip };
  }
  return { actor: 'anonymous', actorId: null, ip: request.ip };
}
