/**
 * Team reports (issue #13): for one team over a day or a week, each seat's
 * time active, idle, locked and offline against the team's shift schedule,
 * adherence to it, the top applications, alerts by rule and the state of
 * the team hour by hour. Strings marked "from the seat" are untrusted text.
 */
import Type, { type Static } from 'typebox';

const closed = { additionalProperties: false } as const;
const Millis = Type.Integer({ minimum: 0 });
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ReportPeriod = Type.Union([Type.Literal('day'), Type.Literal('week')]);

export const TeamReportQuery = Type.Object(
  {
    period: ReportPeriod,
    date: Type.String({
      pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
      description:
        "First local date of the report (YYYY-MM-DD) in the team schedule's time zone (UTC without one)",
    }),
  },
  closed,
);

/** A team the viewer may read reports of, with its site (for the team picker). */
export const ReportTeam = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    projectId: Type.String(),
    projectName: Type.String(),
    siteId: Nullable(Type.String()),
    siteName: Nullable(Type.String()),
    hasSchedule: Type.Boolean(),
  },
  closed,
);

export const SeatUtilization = Type.Object(
  {
    seatId: Type.String(),
    name: Type.String(),
    /** Shift time in the range. */
    scheduledMs: Millis,
    /** In-shift time per state; offline = scheduled time with no state reported. */
    activeMs: Millis,
    idleMs: Millis,
    lockedMs: Millis,
    offlineMs: Millis,
    /** Active time outside the shift. */
    activeOffShiftMs: Millis,
    /** activeMs / scheduledMs (0..1); null without scheduled time. */
    utilization: Nullable(Type.Number()),
    /** (active + idle) in shift / scheduledMs (0..1): at the seat, signed in and unlocked. */
    adherence: Nullable(Type.Number()),
  },
  closed,
);

export const ReportHour = Type.Object(
  {
    hour: Type.Integer({
      minimum: 0,
      maximum: 23,
      description: "local hour of day in the report's time zone",
    }),
    activeMs: Millis,
    idleMs: Millis,
    lockedMs: Millis,
    /** Scheduled time in this hour with no state reported, summed over seats. */
    offlineMs: Millis,
  },
  closed,
);

export const ReportApp = Type.Object(
  { app: Type.String({ description: 'from the seat' }), ms: Millis, spans: Type.Integer() },
  closed,
);

export const ReportRuleCount = Type.Object(
  { rule: Type.String(), severity: Type.String(), count: Type.Integer() },
  closed,
);

export const TeamReport = Type.Object(
  {
    team: ReportTeam,
    period: ReportPeriod,
    date: Type.String(),
    timeZone: Type.String(),
    from: Millis,
    to: Millis,
    seats: Type.Array(SeatUtilization),
    totals: Type.Object(
      {
        scheduledMs: Millis,
        activeMs: Millis,
        idleMs: Millis,
        lockedMs: Millis,
        offlineMs: Millis,
        utilization: Nullable(Type.Number()),
        adherence: Nullable(Type.Number()),
      },
      closed,
    ),
    hours: Type.Array(ReportHour, { minItems: 24, maxItems: 24 }),
    apps: Type.Array(ReportApp),
    alerts: Type.Array(ReportRuleCount),
  },
  closed,
);

export type ReportPeriod = Static<typeof ReportPeriod>;
export type TeamReportQuery = Static<typeof TeamReportQuery>;
export type ReportTeam = Static<typeof ReportTeam>;
export type SeatUtilization = Static<typeof SeatUtilization>;
export type ReportHour = Static<typeof ReportHour>;
export type ReportApp = Static<typeof ReportApp>;
export type ReportRuleCount = Static<typeof ReportRuleCount>;
export type TeamReport = Static<typeof TeamReport>;
