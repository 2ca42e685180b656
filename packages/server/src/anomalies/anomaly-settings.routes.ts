/** Per-project rule settings and per-team shift schedules: HTTP over the anomaly settings service. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@seatwatch/shared';
import {
  AnomalyRule,
  RuleSettingsList,
  RuleSettingUpdate,
  RuleSettingView,
  ShiftSchedule,
  ShiftScheduleView,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { RuleId } from '../domain/rules/anomaly.js';
import type { AnomalySettingsService } from './anomaly-settings.service.js';
import { actorOf, projectResource } from './route-support.js';

export interface AnomalySettingsRouteDeps {
  settings: AnomalySettingsService;
}

const tags = ['anomaly settings'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 128 }) });
const RuleParams = Type.Object({ projectId: ProjectParams.properties.projectId, rule: AnomalyRule });
const TeamParams = Type.Object({
  projectId: ProjectParams.properties.projectId,
  teamId: Type.String({ minLength: 1, maxLength: 128 }),
});

export async function anomalySettingsRoutes(
  base: FastifyInstance,
  deps: AnomalySettingsRouteDeps,
): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { settings } = deps;
  const project = projectResource((projectId) => settings.requireProject(projectId));

  app.get(
    '/api/v1/anomalies/projects/:projectId/rules',
    {
      config: { authz: { action: 'project.read', resource: project } },
      schema: { tags, params: ProjectParams, response: { 200: RuleSettingsList, ...errors } },
    },
    async (request) => {
      const { projectId } = request.params;
      return { projectId, rules: await settings.rules(projectId) };
    },
  );

  app.put(
    '/api/v1/anomalies/projects/:projectId/rules/:rule',
    {
      config: { authz: { action: 'project.manage', resource: project } },
      schema: {
        tags,
        params: RuleParams,
        body: RuleSettingUpdate,
        response: { 200: RuleSettingView, ...errors },
      },
    },
    (request) =>
      settings.putRule(
        request.params.projectId,
        request.params.rule as RuleId,
        request.body,
        actorOf(request),
      ),
  );

  app.get(
    '/api/v1/anomalies/projects/:projectId/schedules',
    {
      config: { authz: { action: 'project.read', resource: project } },
      schema: { tags, params: ProjectParams, response: { 200: Type.Array(ShiftScheduleView), ...errors } },
    },
    (request) => settings.schedules(request.params.projectId),
  );

  app.get(
    '/api/v1/anomalies/projects/:projectId/teams/:teamId/schedule',
    {
      config: { authz: { action: 'project.read', resource: project } },
      schema: { tags, params: TeamParams, response: { 200: ShiftScheduleView, ...errors } },
    },
    (request) => settings.schedule(request.params.projectId, request.params.teamId),
  );

  app.put(
    '/api/v1/anomalies/projects/:projectId/teams/:teamId/schedule',
    {
      config: { authz: { action: 'project.manage', resource: project } },
      schema: {
        tags,
        params: TeamParams,
        body: ShiftSchedule,
        response: { 200: ShiftScheduleView, ...errors },
      },
    },
    (request) =>
      settings.putSchedule(request.params.projectId, request.params.teamId, request.body, actorOf(request)),
  );

  app.delete(
    '/api/v1/anomalies/projects/:projectId/teams/:teamId/schedule',
    {
      config: { authz: { action: 'project.manage', resource: project } },
      schema: { tags, params: TeamParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await settings.deleteSchedule(request.params.projectId, request.params.teamId);
      return reply.status(204).send(null);
    },
  );
}
