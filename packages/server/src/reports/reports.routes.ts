/** Team reports: supervisors and administrators, each for the teams in their scope; every read audited. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@seatwatch/shared';
import { ReportTeam, TeamReport, TeamReportQuery } from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requestActor } from '../audit/request-actor.js';
import { scopeOf } from '../domain/authz-policy.js';
import { reportFileName, teamReportCsv } from './report-csv.js';
import type { ReportsService } from './reports.service.js';

const tags = ['reports'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const TeamParams = Type.Object({ teamId: Type.String({ minLength: 1, maxLength: 128 }) });

export async function reportsRoutes(base: FastifyInstance, deps: { reports: ReportsService }): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { reports } = deps;
  const teamResource = (request: FastifyRequest) =>
    reports.teamResource((request.params as { teamId: string }).teamId);

  app.get(
    '/api/v1/reports/teams',
    {
      config: { authz: { action: 'report.read' } },
      schema: { tags, response: { 200: Type.Array(ReportTeam), ...errors } },
    },
    (request) => reports.teams(scopeOf(request.principal, 'report.read')),
  );

  app.get(
    '/api/v1/reports/teams/:teamId',
    {
      config: { authz: { action: 'report.read', resource: teamResource } },
      schema: {
        tags,
        params: TeamParams,
        querystring: TeamReportQuery,
        response: { 200: TeamReport, ...errors },
      },
    },
    (request) => reports.teamReport(requestActor(request), request.params.teamId, request.query, 'json'),
  );

  app.get(
    '/api/v1/reports/teams/:teamId/csv',
    {
      config: { authz: { action: 'report.read', resource: teamResource } },
      schema: {
        tags,
        params: TeamParams,
        querystring: TeamReportQuery,
        response: { 200: Type.String({ description: 'text/csv' }), ...errors },
      },
    },
    async (request, reply) => {
      const report = await reports.teamReport(
        requestActor(request),
        request.params.teamId,
        request.query,
        'csv',
      );
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${reportFileName(report)}"`)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(teamReportCsv(report));
    },
  );
}
