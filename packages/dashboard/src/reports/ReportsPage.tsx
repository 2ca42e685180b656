/**
 * Team reports: pick a team, a day or a week and its first date; read each
 * seat's time against the shift, the team's state by hour of day and its
 * time per application (uPlot charts), alerts by rule; download the CSV, or
 * print the page (the print style leaves out the controls, so the browser's
 * "Save as PDF" gives a clean report). Every read is recorded by the server.
 */
import type { ReportPeriod, ReportTeam, TeamReport, TeamReportQuery } from '@seatwatch/shared/dashboard-api';
import { revealControls } from '@seatwatch/shared/dashboard-api';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useMemo, useState } from 'react';
import uPlot from 'uplot';
import { queries } from '../api/queries.js';
import { reports } from '../api/reports.js';
import { errorText } from '../app/errors.js';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';
import { PRESENCE_COLOURS } from '../timeline/timeline-model.js';
import { UPlotChart } from './UPlotChart.js';

const HOUR = 3_600_000;
/** uPlot's bar path builder: bars 70 % of a slot wide, at most 60 px. */
const uPlotBars = uPlot.paths.bars!({ size: [0.7, 60] });

/** Yesterday in the viewer's calendar: the last whole day. */
function yesterday(): string {
  const date = new Date(Date.now() - 86_400_000);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

const hours = (ms: number) => Math.round((ms / HOUR) * 10) / 10;
const percent = (fraction: number | null) => (fraction === null ? '–' : `${Math.round(fraction * 100)} %`);

function teamLabel(team: ReportTeam): string {
  return [team.projectName, team.siteName, team.name]
    .filter(Boolean)
    .map((part) => revealControls(part!))
    .join(' · ');
}

function StateByHourChart({ report, label }: { report: TeamReport; label: string }) {
  const { t } = useI18n();
  // Stacked bars: each series is drawn over the one before it, from the whole height down to active alone.
  const { options, data } = useMemo(() => {
    const x = report.hours.map((h) => h.hour);
    const active = report.hours.map((h) => hours(h.activeMs));
    const idle = report.hours.map((h, i) => active[i]! + hours(h.idleMs));
    const locked = report.hours.map((h, i) => idle[i]! + hours(h.lockedMs));
    const offline = report.hours.map((h, i) => locked[i]! + hours(h.offlineMs));
    const bars = (colour: string, name: string): uPlot.Series => ({
      label: name,
      fill: colour,
      stroke: colour,
      paths: uPlotBars,
      points: { show: false },
    });
    const built: Omit<uPlot.Options, 'width'> = {
      height: 220,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, 23.5] } },
      axes: [
        { splits: () => [0, 3, 6, 9, 12, 15, 18, 21], values: (_u, splits) => splits.map((v) => `${v}:00`) },
        { label: t('reports.hours'), size: 50 },
      ],
      series: [
        {},
        bars(PRESENCE_COLOURS.offline, t('timeline.state.offline')),
        bars(PRESENCE_COLOURS.locked, t('timeline.state.locked')),
        bars(PRESENCE_COLOURS.idle, t('timeline.state.idle')),
        bars(PRESENCE_COLOURS.active, t('timeline.state.active')),
      ],
    };
    return { options: built, data: [x, offline, locked, idle, active] as uPlot.AlignedData };
  }, [report, t]);
  return <UPlotChart options={options} data={data} label={label} testId="chart-hours" />;
}

function AppsChart({ report, label }: { report: TeamReport; label: string }) {
  const { t } = useI18n();
  const { options, data } = useMemo(() => {
    const names = report.apps.map((app) => revealControls(app.app));
    const built: Omit<uPlot.Options, 'width'> = {
      height: 220,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.5, Math.max(0.5, names.length - 0.5)] } },
      axes: [
        {
          // Canvas text: an application name from a seat is never markup here.
          splits: () => names.map((_, i) => i),
          values: (_u, splits) => splits.map((v) => names[v]?.slice(0, 16) ?? ''),
          rotate: -30,
          size: 70,
        },
        { label: t('reports.hours'), size: 50 },
      ],
      series: [
        {},
        {
          label: t('reports.app'),
          fill: '#2f6fd6',
          stroke: '#2f6fd6',
          paths: uPlotBars,
          points: { show: false },
        },
      ],
    };
    return {
      options: built,
      data: [report.apps.map((_, i) => i), report.apps.map((app) => hours(app.ms))] as uPlot.AlignedData,
    };
  }, [report, t]);
  return <UPlotChart options={options} data={data} label={label} testId="chart-apps" />;
}

function Report({ report, query }: { report: TeamReport; query: TeamReportQuery }) {
  const { t, dateTime, duration } = useI18n();
  return (
    <article className="report" data-testid="team-report">
      <header className="toolbar wrap">
        <h2>
          {t('reports.heading', {
            team: teamLabel(report.team),
            period: t(report.period === 'day' ? 'reports.day' : 'reports.week'),
          })}
        </h2>
        <span className="spacer" />
        <a
          className="button no-print"
          href={reports.csvUrl(report.team.id, query)}
          download
          data-testid="report-csv"
        >
          {t('reports.csv')}
        </a>
        <button type="button" className="no-print" onClick={() => window.print()}>
          {t('reports.print')}
        </button>
      </header>
      <p className="muted">
        {t('reports.range', {
          from: dateTime(report.from),
          to: dateTime(report.to),
          zone: report.timeZone,
        })}
        {report.team.hasSchedule ? null : ` ${t('reports.noSchedule')}`}
      </p>
      <p data-testid="report-totals">
        {t('reports.totals', {
          scheduled: duration(report.totals.scheduledMs),
          utilization: percent(report.totals.utilization),
          adherence: percent(report.totals.adherence),
        })}
      </p>
      <table className="data" data-testid="report-seats">
        <thead>
          <tr>
            <th>{t('investigation.seat')}</th>
            <th>{t('reports.scheduled')}</th>
            <th>{t('timeline.state.active')}</th>
            <th>{t('timeline.state.idle')}</th>
            <th>{t('timeline.state.locked')}</th>
            <th>{t('timeline.state.offline')}</th>
            <th>{t('reports.activeOffShift')}</th>
            <th>{t('reports.utilization')}</th>
            <th>{t('reports.adherence')}</th>
          </tr>
        </thead>
        <tbody>
          {report.seats.map((seat) => (
            <tr key={seat.seatId}>
              <td className="text-cell">
                <UntrustedText value={seat.name} fit="clamp" />
              </td>
              <td>{hours(seat.scheduledMs)}</td>
              <td>{hours(seat.activeMs)}</td>
              <td>{hours(seat.idleMs)}</td>
              <td>{hours(seat.lockedMs)}</td>
              <td>{hours(seat.offlineMs)}</td>
              <td>{hours(seat.activeOffShiftMs)}</td>
              <td>{percent(seat.utilization)}</td>
              <td>{percent(seat.adherence)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">{t('reports.hoursNote')}</p>
      <div className="report-charts">
        <section>
          <h3>{t('reports.byHour')}</h3>
          <StateByHourChart report={report} label={t('reports.byHour')} />
          <ul className="timeline-legend small">
            {(['active', 'idle', 'locked', 'offline'] as const).map((state) => (
              <li key={state}>
                <span className="swatch" style={{ background: PRESENCE_COLOURS[state] }} />
                {t(`timeline.state.${state}`)}
              </li>
            ))}
          </ul>
        </section>
        <section>
          <h3>{t('reports.topApps')}</h3>
          <AppsChart report={report} label={t('reports.topApps')} />
        </section>
      </div>
      <table className="data">
        <thead>
          <tr>
            <th>{t('reports.app')}</th>
            <th>{t('reports.time')}</th>
            <th>{t('reports.spans')}</th>
          </tr>
        </thead>
        <tbody>
          {report.apps.map((app) => (
            <tr key={app.app}>
              <td className="text-cell">
                <UntrustedText value={app.app} fit="clamp" />
              </td>
              <td>{duration(app.ms)}</td>
              <td>{app.spans}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('reports.alerts')}</h3>
      {report.alerts.length === 0 ? <p className="muted">{t('reports.noAlerts')}</p> : null}
      <ul data-testid="report-alerts">
        {report.alerts.map((alert) => (
          <li key={`${alert.rule}-${alert.severity}`}>
            {t('reports.alertLine', { rule: alert.rule, severity: alert.severity, count: alert.count })}
          </li>
        ))}
      </ul>
    </article>
  );
}

export function ReportsPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const teamsQuery = useQuery(queries.reportTeams());
  const teams = teamsQuery.data ?? [];
  const [teamId, setTeamId] = useState('');
  const [period, setPeriod] = useState<ReportPeriod>('day');
  const [date, setDate] = useState(yesterday);
  const [asked, setAsked] = useState<{ teamId: string; query: TeamReportQuery } | null>(null);
  const reportQuery = useQuery({
    ...queries.teamReport(asked?.teamId ?? '', asked?.query ?? { period: 'day', date: '' }),
    enabled: asked !== null,
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const chosen = teamId || teams[0]?.id;
    if (chosen) setAsked({ teamId: chosen, query: { period, date } });
  };
  const groups = useMemo(() => {
    const byGroup = new Map<string, ReportTeam[]>();
    for (const team of teams) {
      const key = [team.projectName, team.siteName]
        .filter(Boolean)
        .map((part) => revealControls(part!))
        .join(' · ');
      byGroup.set(key, [...(byGroup.get(key) ?? []), team]);
    }
    return [...byGroup.entries()];
  }, [teams]);
  const error = teamsQuery.error ?? reportQuery.error;
  return (
    <section className="reports">
      <h1 className="no-print">{t('reports.title')}</h1>
      <form className="toolbar wrap no-print" onSubmit={submit}>
        <label>
          {t('reports.team')}
          <select
            value={teamId}
            onChange={(event) => setTeamId(event.target.value)}
            data-testid="report-team"
          >
            {groups.map(([group, members]) => (
              <optgroup key={group} label={group}>
                {members.map((team) => (
                  <option key={team.id} value={team.id}>
                    {revealControls(team.name)}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label>
          {t('reports.period')}
          <select value={period} onChange={(event) => setPeriod(event.target.value as ReportPeriod)}>
            <option value="day">{t('reports.day')}</option>
            <option value="week">{t('reports.week')}</option>
          </select>
        </label>
        <label>
          {t('reports.date')}
          <input type="date" value={date} onChange={(event) => setDate(event.target.value)} required />
        </label>
        <button type="submit" className="primary" disabled={teams.length === 0}>
          {t('reports.show')}
        </button>
      </form>
      {teamsQuery.isSuccess && teams.length === 0 ? <p className="muted">{t('reports.noTeams')}</p> : null}
      {error ? <p className="error">{errorText(i18n, error)}</p> : null}
      {asked && reportQuery.isPending ? <p className="muted">{t('common.loading')}</p> : null}
      {asked && reportQuery.data ? <Report report={reportQuery.data} query={asked.query} /> : null}
    </section>
  );
}
