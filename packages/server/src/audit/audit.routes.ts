/** The audit log for auditors (and administrators): their projects' entries; installation-wide ones need an installation-wide grant. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, SeatwatchError } from '@seatwatch/shared';
import { AuditPage, AuditQuery } from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/connect.js';
import { can, scopeOf } from '../domain/authz-policy.js';
import { auditPage } from './audit-log.js';

const tags = ['audit log'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

export async function auditRoutes(base: FastifyInstance, deps: { db: Db }): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/v1/investigation/audit',
    {
      config: { authz: { action: 'audit.read' } },
      schema: { tags, querystring: AuditQuery, response: { 200: AuditPage, ...errors } },
    },
    async (request) => {
      const { projectId, limit = 100, ...filter } = request.query;
      const scope = scopeOf(request.principal, 'audit.read');
      let projectIds: string[] | null = scope.all ? null : [...scope.projects.keys()];
      if (projectId) {
        if (!can(request.principal, 'audit.read', { kind: 'project', projectId })) {
          throw new SeatwatchError('forbidden', 'not an auditor of this project');
        }
        projectIds = [projectId];
      }
      return auditPage(deps.db, { ...filter, projectIds, limit });
    },
  );
}
