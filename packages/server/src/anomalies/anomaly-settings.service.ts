/**
 * Per-project rule settings and per-team shift schedules. Every change is
 * validated against the rule's own schema (or the time zone database),
 * stored, and announced so every server process drops its cached copy.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type {
  RuleSettingUpdate,
  RuleSettingView,
  ShiftSchedule,
  ShiftScheduleView,
} from '@seatwatch/shared/dashboard-api';
import type { RuleId } from '../domain/rules/anomaly.js';
import { mergeRuleConfig, resolveRuleSettings } from '../domain/rules/rule-catalog.js';
import { RULES } from '../domain/rules/rule-registry.js';
import { isValidTimeZone } from '../domain/rules/shift-schedule.js';
import type { AnomalyServiceDeps } from './anomaly.service.js';
import {
  deleteSchedule,
  findRuleSetting,
  findSchedule,
  listRuleSettings,
  listSchedules,
  projectExists,
  putRuleSetting,
  putSchedule,
  type RuleSettingRow,
  type ShiftScheduleRow,
  teamInProject,
} from './anomaly-settings.repository.js';

export interface AnomalySettingsService {
  /** not_found unless the project exists. */
  requireProject(projectId: string): Promise<void>;
  rules(projectId: string): Promise<RuleSettingView[]>;
  putRule(projectId: string, rule: RuleId, update: RuleSettingUpdate, by: string): Promise<RuleSettingView>;
  schedules(projectId: string): Promise<ShiftScheduleView[]>;
  schedule(projectId: string, teamId: string): Promise<ShiftScheduleView>;
  putSchedule(
    projectId: string,
    teamId: string,
    schedule: ShiftSchedule,
    by: string,
  ): Promise<ShiftScheduleView>;
  deleteSchedule(projectId: string, teamId: string): Promise<void>;
}

export function createAnomalySettingsService(deps: AnomalyServiceDeps): AnomalySettingsService {
  const { db } = deps;
  const changed = (projectId: string) =>
    deps.notifications.publish({ topic: 'anomaly.settings_changed', projectId }).catch(deps.onError);
  const noSchedule = () => new SeatwatchError('not_found', 'this team has no shift schedule');

  return {
    async requireProject(projectId) {
      if (!(await projectExists(db, projectId))) throw new SeatwatchError('not_found', 'no such project');
    },

    async rules(projectId) {
      const byRule = new Map((await listRuleSettings(db, projectId)).map((r) => [r.rule, r]));
      return (Object.keys(RULES) as RuleId[]).map((rule) => ruleView(rule, byRule.get(rule)));
    },

    async putRule(projectId, rule, update, by) {
      const current = (await findRuleSetting(db, projectId, rule)) ?? undefined;
      const effective = ruleView(rule, current);
      const config = update.config ?? current?.config ?? {};
      const merged = mergeRuleConfig(rule, config);
      if (!merged.ok) throw new SeatwatchError('bad_request', `config of ${rule}: ${merged.problem}`);
      const row = await putRuleSetting(db, projectId, rule, {
        enabled: update.enabled ?? effective.enabled,
        severity: update.severity ?? effective.severity,
        // Only what the project set is stored: a default that changes in a later version still reaches it.
        config,
        updatedAt: new Date(deps.now()),
        updatedBy: by,
      });
      await changed(projectId);
      return ruleView(rule, row);
    },

    async schedules(projectId) {
      return (await listSchedules(db, projectId)).map(scheduleView);
    },

    async schedule(projectId, teamId) {
      const row = await findSchedule(db, teamId, projectId);
      if (!row) throw noSchedule();
      return scheduleView(row);
    },

    async putSchedule(projectId, teamId, schedule, by) {
      if (!(await teamInProject(db, projectId, teamId)))
        throw new SeatwatchError('not_found', 'no such team in this project');
      if (!isValidTimeZone(schedule.timeZone)) {
        throw new SeatwatchError('bad_request', `unknown time zone "${schedule.timeZone.slice(0, 64)}"`);
      }
      const dates = schedule.exceptions.map((e) => e.date);
      if (new Set(dates).size !== dates.length)
        throw new SeatwatchError('bad_request', 'one exception per date');
      const row = await putSchedule(db, teamId, {
        projectId,
        timeZone: schedule.timeZone,
        weekly: schedule.weekly,
        exceptions: schedule.exceptions,
        updatedAt: new Date(deps.now()),
        updatedBy: by,
      });
      await changed(projectId);
      return scheduleView(row);
    },

    async deleteSchedule(projectId, teamId) {
      if (!(await deleteSchedule(db, projectId, teamId))) throw noSchedule();
      await changed(projectId);
    },
  };
}

function ruleView(rule: RuleId, stored: RuleSettingRow | undefined): RuleSettingView {
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

function scheduleView(row: ShiftScheduleRow): ShiftScheduleView {
  return {
    teamId: row.teamId,
    projectId: row.projectId,
    schedule: { timeZone: row.timeZone, weekly: row.weekly, exceptions: row.exceptions },
    updatedAt: row.updatedAt.getTime(),
    updatedBy: row.updatedBy,
  };
}
