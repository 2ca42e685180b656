/** What the anomaly routes share: the caller's name for the record, and the policy resources they check. */
import { SeatwatchError } from '@seatwatch/shared';
import { eq } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/connect.js';
import { anomalies } from '../db/schema/index.js';
import type { Resource } from '../domain/authz-policy.js';
import { findProject } from '../tenancy/tenancy.repository.js';

/** Recorded as status_by / updated_by: the dashboard user, or the admin token. */
export function actorOf(request: FastifyRequest): string {
  return request.account ? `user:${request.account.user.username}` : (request.principal?.id ?? 'unknown');
}

/** The project in the path, which must exist. */
export function projectResource(db: Db) {
  return async (request: FastifyRequest): Promise<Resource> => {
    const projectId = (request.params as { projectId: string }).projectId;
    if (!(await findProject(db, projectId))) throw new SeatwatchError('not_found', 'no such project');
    return { kind: 'project', projectId };
  };
}

/** The anomaly in the path, decided by its seat's team like everything about a seat. */
export function anomalyResource(db: Db) {
  return async (request: FastifyRequest): Promise<Resource> => {
    const id = (request.params as { anomalyId: string }).anomalyId;
    const [row] = await db
      .select({ projectId: anomalies.projectId, teamId: anomalies.teamId })
      .from(anomalies)
      .where(eq(anomalies.id, id));
    if (!row) throw new SeatwatchError('not_found', 'no such anomaly');
    return { kind: 'team', projectId: row.projectId, teamId: row.teamId };
  };
}
