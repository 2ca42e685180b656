/**
 * Per-project rule settings and per-team shift schedules. Every change is
 * validated against the rule's own schema (or the time zone database),
 * stored, and announced so every server process drops its cached copy.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, SeatwatchError } from '@seatwatch/shared';
import {
  AnomalyRule,
  RuleSettingsList,
  RuleSettingUpdate,
  RuleSettingView,
  ShiftSchedule,
  ShiftScheduleView,
} from '@seatwatch/shared/dashboard-api';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Db } from '../db/connect.js';
import { anomalyRuleSettings, anomalyShiftSchedules } from '../db/schema/index.js';
import type { RuleId } from '../domain/rules/anomaly.js';
import { mergeRuleConfig, RULES, resolveRuleSettings } from '../domain/rules/rule-catalog.js';
import { isValidTimeZone } from '../domain/rules/shift-schedule.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import { findTeam } from '../tenancy/tenancy.repository.js';
import { actorOf, projectResource } from './route-support.js';

export interface AnomalySettingsRouteDeps {
  db: Db;
  notifications: NotificationPort;
  now: () => number;
  onError: (error: unknown) => void;
}

const tags = ['anomaly settings'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 128 }) });
const RuleParams = Type.Object({ projectId: ProjectParams.properties.projectId, rule: AnomalyRule });
const TeamParams = Type.Object({
  projectId: ProjectParams.properties.projectId,
  teamId: Type.String({ minLength: 1, maxLength: 128 }),
});

type StoredRow = typeof anomalyRuleSettings.$inferSelect;

function ruleView(rule: RuleId, stored: StoredRow | undefined): RuleSettingView {
  const definition = RULES[rule];
  const { settings } = resolveRuleSettings(stored ? [stored] : []);
  const effective = settings[rule];
  return {
    rule,
    summary: definition.summary,
    enabled: effective.enabled,
    severity: effective.severity,
    config: effective.config as Record<string, unknown>,
    defaults: {
      enabled: definition.enabled,
      severity: definition.severity,
      config: definition.defaults as Record<string, unknown>,
    },
    configSchema: definition.config as unknown as Record<string, unknown>,
    updatedAt: stored?.updatedAt.getTime() ?? null,
    updatedBy: stored?.updatedBy ?? null,
  };
}

function scheduleView(row: typeof anomalyShiftSchedules.$inferSelect): ShiftScheduleView {
  return {
    teamId: row.teamId,
    projectId: row.projectId,
    schedule: { timeZone: row.timeZone, weekly: row.weekly, exceptions: row.exceptions },
    updatedAt: row.updatedAt.getTime(),
    updatedBy: row.updatedBy,
  };
}

export async function anomalySettingsRoutes(
  base: FastifyInstance,
  deps: AnomalySettingsRouteDeps,
): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;
  const project = projectResource(db);
  const changed = (projectId: string) =>
    deps.notifications.publish({ topic: 'anomaly.settings_changed', projectId }).catch(deps.onError);

  app.get(
    '/api/v1/anomalies/projects/:projectId/rules',
    {
      config: { authz: { action: 'project.read', resource: project } },
      schema: { tags, params: ProjectParams, response: { 200: RuleSettingsList, ...errors } },
    },
    async (request) => {
      const { projectId } = request.params;
      const rows = await db
        .select()
        .from(anomalyRuleSettings)
        .where(eq(anomalyRuleSettings.projectId, projectId));
      const byRule = new Map(rows.map((r) => [r.rule, r]));
      return {
        projectId,
        rules: (Object.keys(RULES) as RuleId[]).map((rule) => ruleView(rule, byRule.get(rule))),
      };
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
    async (request) => {
      const { projectId } = request.params;
      const rule = request.params.rule as RuleId;
      const [current] = await db
        .select()
        .from(anomalyRuleSettings)
        .where(and(eq(anomalyRuleSettings.projectId, projectId), eq(anomalyRuleSettings.rule, rule)));
      const effective = ruleView(rule, current);
      const config = request.body.config ?? current?.config ?? {};
      const merged = mergeRuleConfig(rule, config);
      if (!merged.ok) throw new SeatwatchError('bad_request', `config of ${rule}: ${merged.problem}`);
      const values = {
        enabled: request.body.enabled ?? effective.enabled,
        severity: request.body.severity ?? effective.severity,
        // Only what the project set is stored: a default that changes in a later version still reaches it.
        config,
        updatedAt: new Date(deps.now()),
        updatedBy: actorOf(request),
      };
      const [row] = await db
        .insert(anomalyRuleSettings)
        .values({ projectId, rule, ...values })
        .onConflictDoUpdate({
          target: [anomalyRuleSettings.projectId, anomalyRuleSettings.rule],
          set: values,
        })
        .returning();
      await changed(projectId);
      return ruleView(rule, row);
    },
  );

  app.get(
    '/api/v1/anomalies/projects/:projectId/schedules',
    {
      config: { authz: { action: 'project.read', resource: project } },
      schema: { tags, params: ProjectParams, response: { 200: Type.Array(ShiftScheduleView), ...errors } },
    },
    async (request) => {
      const rows = await db
        .select()
        .from(anomalyShiftSchedules)
        .where(eq(anomalyShiftSchedules.projectId, request.params.projectId));
      return rows.map(scheduleView);
    },
  );

  const teamOf = async (projectId: string, teamId: string) => {
    if (!(await findTeam(db, projectId, teamId)))
      throw new SeatwatchError('not_found', 'no such team in this project');
  };

  app.get(
    '/api/v1/anomalies/projects/:projectId/teams/:teamId/schedule',
    {
      config: { authz: { action: 'project.read', resource: project } },
      schema: { tags, params: TeamParams, response: { 200: ShiftScheduleView, ...errors } },
    },
    async (request) => {
      const { projectId, teamId } = request.params;
      const [row] = await db
        .select()
        .from(anomalyShiftSchedules)
        .where(and(eq(anomalyShiftSchedules.projectId, projectId), eq(anomalyShiftSchedules.teamId, teamId)));
      if (!row) throw new SeatwatchError('not_found', 'this team has no shift schedule');
      return scheduleView(row);
    },
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
    async (request) => {
      const { projectId, teamId } = request.params;
      await teamOf(projectId, teamId);
      const schedule = request.body;
      if (!isValidTimeZone(schedule.timeZone)) {
        throw new SeatwatchError('bad_request', `unknown time zone "${schedule.timeZone.slice(0, 64)}"`);
      }
      const dates = schedule.exceptions.map((e) => e.date);
      if (new Set(dates).size !== dates.length)
        throw new SeatwatchError('bad_request', 'one exception per date');
      const values = {
        projectId,
        timeZone: schedule.timeZone,
        weekly: schedule.weekly,
        exceptions: schedule.exceptions,
        updatedAt: new Date(deps.now()),
        updatedBy: actorOf(request),
      };
      const [row] = await db
        .insert(anomalyShiftSchedules)
        .values({ teamId, ...values })
        .onConflictDoUpdate({ target: anomalyShiftSchedules.teamId, set: values })
        .returning();
      await changed(projectId);
      return scheduleView(row!);
    },
  );

  app.delete(
    '/api/v1/anomalies/projects/:projectId/teams/:teamId/schedule',
    {
      config: { authz: { action: 'project.manage', resource: project } },
      schema: { tags, params: TeamParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      const { projectId, teamId } = request.params;
      const removed = await db
        .delete(anomalyShiftSchedules)
        .where(and(eq(anomalyShiftSchedules.projectId, projectId), eq(anomalyShiftSchedules.teamId, teamId)))
        .returning({ teamId: anomalyShiftSchedules.teamId });
      if (removed.length === 0) throw new SeatwatchError('not_found', 'this team has no shift schedule');
      await changed(projectId);
      return reply.status(204).send(null);
    },
  );
}
