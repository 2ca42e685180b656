/**
 * A team report as CSV (RFC 4180), safe to open in a spreadsheet: a cell
 * that starts with = + - @ (or a tab or carriage return) would be run as a
 * formula by Excel, LibreOffice and Sheets, so it gets a leading apostrophe
 * (OWASP "CSV injection"); seat and application names come from seats.
 */
import type { TeamReport } from '@seatwatch/shared/dashboard-api';

const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell: strings defused and quoted when needed; numbers as they are. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

const line = (cells: readonly (string | number | null)[]) => cells.map(csvCell).join(',');
const hours = (ms: number) => Math.round((ms / 3_600_000) * 100) / 100;
const percent = (fraction: number | null) => (fraction === null ? null : Math.round(fraction * 1000) / 10);

/** Three blocks (seats, applications, alerts) separated by an empty line; CRLF line ends as RFC 4180 says. */
export function teamReportCsv(report: TeamReport): string {
  const lines = [
    line([
      'seat',
      'scheduled_h',
      'active_h',
      'idle_h',
      'locked_h',
      'offline_h',
      'active_off_shift_h',
      'utilization_pct',
      'adherence_pct',
    ]),
    ...report.seats.map((seat) =>
      line([
        seat.name,
        hours(seat.scheduledMs),
        hours(seat.activeMs),
        hours(seat.idleMs),
        hours(seat.lockedMs),
        hours(seat.offlineMs),
        hours(seat.activeOffShiftMs),
        percent(seat.utilization),
        percent(seat.adherence),
      ]),
    ),
    '',
    line(['application', 'hours', 'spans']),
    ...report.apps.map((app) => line([app.app, hours(app.ms), app.spans])),
    '',
    line(['alert_rule', 'severity', 'count']),
    ...report.alerts.map((alert) => line([alert.rule, alert.severity, alert.count])),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

/** A download name from the team's name (from an administrator, still reduced to safe ASCII). */
export function reportFileName(report: TeamReport): string {
  const team =
    report.team.name
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'team';
  return `seatwatch-${team}-${report.period}-${report.date}.csv`;
}
