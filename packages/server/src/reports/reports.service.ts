/**
 * Team reports: what the routes ask for, read from the repository and
 * computed by utilization.ts; every report read (JSON or CSV) is recorded
 * in the audit log like the other reads of seat data.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { ReportTeam, TeamReport, TeamReportQuery } from '@seatwatch/shared/dashboard-api';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestActor } from '../audit/request-actor.js';
import type { Db } from '../db/connect.js';
import type { Resource, Scope } from '../domain/authz-policy.js';
import { isValidTimeZone } from '../domain/rules/shift-schedule.js';
import {
  alertsByRule,
  findSchedule,
  findTeam,
  presenceMarks,
  teamSeats,
  teamsInScope,
  topApps,
} from './reports.repository.js';
import { reportRange, utilization } from './utilization.js';

const TOP_APPS = 10;

export interface ReportsServiceDeps {
  db: Db;
  now: () => number;
}

export type ReportsService = ReturnType<typeof createReportsService>;

export function createReportsService(deps: ReportsServiceDeps) {
  const { db } = deps;

  const team = async (teamId: string): Promise<ReportTeam> => {
    const found = await findTeam(db, teamId);
    if (!found) throw new SeatwatchError('not_found', 'no such team');
    return found;
  };

  return {
    /** The teams the viewer may read reports of (for the picker). */
    teams: (scope: Scope) => teamsInScope(db, scope),

    /** The team as a resource of the policy. */
    async teamResource(teamId: string): Promise<Resource> {
      const found = await team(teamId);
      return { kind: 'team', projectId: found.projectId, teamId: found.id };
    },

    /** The report of a team for a day or a week; the read is audited with its format. */
    async teamReport(
      who: RequestActor,
      teamId: string,
      query: TeamReportQuery,
      format: 'json' | 'csv',
    ): Promise<TeamReport> {
      const found = await team(teamId);
      const schedule = await findSchedule(db, teamId);
      const timeZone = schedule && isValidTimeZone(schedule.timeZone) ? schedule.timeZone : 'UTC';
      // The pattern admits 2026-02-30; a calendar date reads back the same.
      const parsed = new Date(`${query.date}T00:00:00Z`);
      if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== query.date) {
        throw new SeatwatchError('bad_request', 'date must be a calendar date (YYYY-MM-DD)');
      }
      const { from, to } = reportRange(timeZone, query.date, query.period);
      // The future is neither present nor offline: a report of today stops at now.
      const until = Math.max(from, Math.min(to, deps.now()));
      const seats = await teamSeats(db, teamId);
      const seatIds = seats.map((seat) => seat.id);
      const [marks, apps, alerts] = await Promise.all([
        presenceMarks(db, seatIds, from, until),
        topApps(db, seatIds, from, until, TOP_APPS),
        alertsByRule(db, seatIds, from, until),
      ]);
      const computed = utilization(
        seats.map((seat) => ({ seatId: seat.id, name: seat.name, marks: marks.get(seat.id) ?? [] })),
        schedule,
        timeZone,
        from,
        until,
      );
      const sum = (key: 'activeMs' | 'idleMs' | 'lockedMs' | 'offlineMs' | 'scheduledMs') =>
        computed.seats.reduce((total, seat) => total + seat[key], 0);
      const scheduledMs = sum('scheduledMs');
      const report: TeamReport = {
        team: found,
        period: query.period,
        date: query.date,
        timeZone,
        from,
        to,
        seats: computed.seats,
        totals: {
          scheduledMs,
          activeMs: sum('activeMs'),
          idleMs: sum('idleMs'),
          lockedMs: sum('lockedMs'),
          offlineMs: sum('offlineMs'),
          utilization: scheduledMs > 0 ? sum('activeMs') / scheduledMs : null,
          adherence: scheduledMs > 0 ? (sum('activeMs') + sum('idleMs')) / scheduledMs : null,
        },
        hours: computed.hours,
        apps,
        alerts,
      };
      await recordAudit(
        db,
        {
          ...who,
          action: 'report.read',
          projectId: found.projectId,
          target: { kind: 'team', id: found.id },
          details: { period: query.period, date: query.date, format },
        },
        deps.now(),
      );
      return report;
    },
  };
}
