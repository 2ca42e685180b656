/**
 * The team reports' queries: the teams in a viewer's scope, a team with its
 * schedule, its seats, their status and stop events, application time and
 * alerts. Every telemetry query is bounded by seat ids and the range, so it
 * walks the (seat_id, time) indexes (events_seat_status_time_idx for states).
 */
import { DESKTOP_SESSION_DETAIL } from '@seatwatch/shared';
import type { ReportApp, ReportRuleCount, ReportTeam, ShiftSchedule } from '@seatwatch/shared/dashboard-api';
import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { nullable, rowsOf } from '../db/raw-rows.js';
import {
  activitySpans,
  anomalies,
  anomalyShiftSchedules,
  events,
  projects,
  seats,
  sites,
  teams,
} from '../db/schema/index.js';
import { scopeCondition } from '../db/scope-condition.js';
import { valueList } from '../db/sql-lists.js';
import type { Scope } from '../domain/authz-policy.js';
import type { PresenceMark, PresenceState } from './utilization.js';

const iso = (value: number) => new Date(value).toISOString();

const TEAM_COLUMNS =
  sql.raw(`t.id, t.name, t.project_id, p.name as project_name, t.site_id, st.name as site_name,
  (sc.team_id is not null) as has_schedule`);
const TEAM_FROM = sql.raw(`teams t join projects p on p.id = t.project_id
  left join sites st on st.id = t.site_id
  left join anomaly_shift_schedules sc on sc.team_id = t.id`);
const TEAM = {
  id: teams.id,
  name: teams.name,
  project_id: teams.projectId,
  project_name: projects.name,
  site_id: teams.siteId,
  site_name: nullable(sites.name),
  has_schedule: Boolean,
};

async function teamRows(ex: Executor, where: SQL): Promise<ReportTeam[]> {
  const rows = await rowsOf(
    ex,
    sql`select ${TEAM_COLUMNS} from ${TEAM_FROM} where ${where} order by p.name, st.name nulls last, t.name limit 2000`,
    TEAM,
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    projectId: row.project_id,
    projectName: row.project_name,
    siteId: row.site_id,
    siteName: row.site_name,
    hasSchedule: row.has_schedule,
  }));
}

export function teamsInScope(ex: Executor, scope: Scope): Promise<ReportTeam[]> {
  return teamRows(ex, scopeCondition(scope, sql`t.project_id`, sql`t.id`));
}

export async function findTeam(ex: Executor, teamId: string): Promise<ReportTeam | null> {
  const [team] = await teamRows(ex, sql`t.id = ${teamId}`);
  return team ?? null;
}

export async function findSchedule(ex: Executor, teamId: string): Promise<ShiftSchedule | null> {
  const [row] = await rowsOf(
    ex,
    sql`select time_zone, weekly, exceptions from anomaly_shift_schedules where team_id = ${teamId}`,
    {
      time_zone: anomalyShiftSchedules.timeZone,
      weekly: anomalyShiftSchedules.weekly,
      exceptions: anomalyShiftSchedules.exceptions,
    },
  );
  return row ? { timeZone: row.time_zone, weekly: row.weekly, exceptions: row.exceptions } : null;
}

export function teamSeats(ex: Executor, teamId: string) {
  return rowsOf(ex, sql`select s.id, s.name from seats s where s.team_id = ${teamId} order by s.name, s.id`, {
    id: seats.id,
    name: seats.name,
  });
}

/**
 * Each seat's status events and clean stops in [from, to), with the latest
 * one before `from` (the state the range opens in), oldest first per seat.
 */
export async function presenceMarks(
  ex: Executor,
  seatIds: readonly string[],
  from: number,
  to: number,
): Promise<Map<string, PresenceMark[]>> {
  const marks = new Map<string, PresenceMark[]>(seatIds.map((id) => [id, []]));
  if (seatIds.length === 0) return marks;
  // A desktop session's end on a shared seat (issue #14) is one operator logging off, not the seat going away.
  const PRESENCE = sql.raw(
    `(e.type = 'status' or (e.type = 'lifecycle' and e.body->>'phase' = 'stopping'
      and coalesce(e.body->>'detail', '') <> '${DESKTOP_SESSION_DETAIL}'))`,
  );
  const rows = await rowsOf(
    ex,
    sql`
      select x.seat_id, x.time, x.state from (
        select e.seat_id, e.time, e.id, case when e.type = 'status' then e.body->>'state' end as state
        from events e
        where e.seat_id in ${valueList(seatIds)} and ${PRESENCE}
          and e.time >= ${iso(from)}::timestamptz and e.time < ${iso(to)}::timestamptz
        union all
        select b.seat_id, b.time, b.id, b.state
        from (values ${sql.join(
          seatIds.map((id) => sql`(${id}::text)`),
          sql`, `,
        )}) as seat(id)
        cross join lateral (
          select e.seat_id, e.time, e.id, case when e.type = 'status' then e.body->>'state' end as state
          from events e
          where e.seat_id = seat.id and ${PRESENCE} and e.time < ${iso(from)}::timestamptz
          order by e.time desc limit 1
        ) b
      ) x
      order by x.seat_id, x.time, x.id`,
    { seat_id: events.seatId, time: events.time, state: (value) => value as PresenceState },
  );
  for (const row of rows) {
    const state = row.state === 'active' || row.state === 'idle' || row.state === 'locked' ? row.state : null;
    marks.get(row.seat_id)?.push({ time: row.time.getTime(), state });
  }
  return marks;
}

/** Time per application inside the range (spans clipped to it), longest first. */
export async function topApps(
  ex: Executor,
  seatIds: readonly string[],
  from: number,
  to: number,
  limit: number,
): Promise<ReportApp[]> {
  if (seatIds.length === 0) return [];
  // A span that started up to a day before the range may run into it; longer ones are not reported.
  const rows = await rowsOf(
    ex,
    sql`
      select a.app,
             (extract(epoch from sum(least(a.ended_at, ${iso(to)}::timestamptz)
                 - greatest(a.started_at, ${iso(from)}::timestamptz))) * 1000)::bigint as ms,
             count(*) as spans
      from activity_spans a
      where a.seat_id in ${valueList(seatIds)}
        and a.started_at >= ${iso(from - 86_400_000)}::timestamptz and a.started_at < ${iso(to)}::timestamptz
        and a.ended_at > ${iso(from)}::timestamptz
      group by a.app
      order by ms desc, a.app
      limit ${limit}`,
    { app: activitySpans.app, ms: Number, spans: Number },
  );
  return rows.map((row) => ({ app: row.app, ms: Math.max(0, row.ms), spans: row.spans }));
}

/** Alerts (anomalies) of the seats or their agents first raised in the range, by rule and severity. */
export async function alertsByRule(
  ex: Executor,
  seatIds: readonly string[],
  from: number,
  to: number,
): Promise<ReportRuleCount[]> {
  if (seatIds.length === 0) return [];
  const rows = await rowsOf(
    ex,
    sql`
      select t.rule, t.severity, count(*) as n from anomalies t
      where (t.seat_id in ${valueList(seatIds)}
             or t.agent_id in (select a.id from agents a where a.seat_id in ${valueList(seatIds)}))
        and t.first_at >= ${iso(from)}::timestamptz and t.first_at < ${iso(to)}::timestamptz
      group by t.rule, t.severity
      order by n desc, t.rule, t.severity`,
    { rule: anomalies.rule, severity: anomalies.severity, n: Number },
  );
  return rows.map((row) => ({ rule: row.rule, severity: row.severity, count: row.n }));
}
