/** What the anomaly routes share: the caller's name for the record, and the policy resources they check. */
import type { FastifyRequest } from 'fastify';
import type { Resource } from '../domain/authz-policy.js';

/** Recorded as status_by / updated_by: the dashboard user, or the admin token. */
export function actorOf(request: FastifyRequest): string {
  return request.account ? `user:${request.account.user.username}` : (request.principal?.id ?? 'unknown');
}

/** The project in the path, which `requireProject` checks exists. */
export function projectResource(requireProject: (projectId: string) => Promise<void>) {
  return async (request: FastifyRequest): Promise<Resource> => {
    const projectId = (request.params as { projectId: string }).projectId;
    await requireProject(projectId);
    return { kind: 'project', projectId };
  };
}

/** The anomaly in the path, decided by its seat's team like everything about a seat. */
export function anomalyResource(
  placeOf: (anomalyId: string) => Promise<{ projectId: string; teamId: string | null }>,
) {
  return async (request: FastifyRequest): Promise<Resource> => {
    const place = await placeOf((request.params as { anomalyId: string }).anomalyId);
    return { kind: 'team', projectId: place.projectId, teamId: place.teamId };
  };
}
