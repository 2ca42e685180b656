import { revealControls, type SeatDetail } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import { seats } from '../api/client.js';
import { queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { displayState } from '../board/board-view.js';
import { SLOT, UntrustedInMessage, UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';
import { todayRange } from '../i18n/translate.js';
import { useLiveCache } from '../live/use-live-cache.js';
import { appHue, appTotals, awayPeriods, place } from './timeline.js';

function DayStrip({ detail, from, to }: { detail: SeatDetail; from: number; to: number }) {
  const { t, time } = useI18n();
  const now = Date.now();
  const away = awayPeriods(detail.states, Math.min(now, to));
  const hours = Array.from({ length: 5 }, (_, i) => from + ((to - from) * i) / 4);
  return (
    <div className="strip-wrap">
      <div className="strip" role="img" aria-label={t('seat.timeline')}>
        {detail.spans.map((span) => {
          const at = place(span.start, span.end, from, to);
          return at ? (
            <div
              key={`a${span.start}`}
              className="strip-span"
              title={`${revealControls(span.app)} — ${revealControls(span.title)}`}
              style={{
                left: `${at.left}%`,
                width: `${at.width}%`,
                background: `hsl(${appHue(span.app)} 55% 55%)`,
              }}
            />
          ) : null;
        })}
        {away.map((period) => {
          const at = place(period.start, period.end, from, to);
          return at ? (
            <div
              key={`s${period.start}`}
              className={`strip-away ${period.state}`}
              title={t(`state.${period.state}`)}
              style={{ left: `${at.left}%`, width: `${at.width}%` }}
            />
          ) : null;
        })}
      </div>
      <div className="strip-axis">
        {hours.map((ms) => (
          <span key={ms}>{time(ms)}</span>
        ))}
      </div>
    </div>
  );
}

export function SeatPage() {
  const i18n = useI18n();
  const { t, time, dateTime, duration } = i18n;
  const { id = '' } = useParams();
  const [range] = useState(() => todayRange(Date.now()));
  const live = useLiveCache();
  // The live stream reads this again whenever the seat changes (live/live-cache.ts).
  const query = useQuery({ ...queries.seatDetail(id, range.from, range.to), enabled: live });
  const detail = query.data;
  // Capture now: the command's id, until its screenshot shows in the detail as read again.
  const capture = useMutation({ mutationFn: () => seats.capture(id) });
  const commandId = capture.data?.commandId ?? null;
  const arrived = commandId !== null && !!detail?.screenshots.some((shot) => shot.commandId === commandId);
  const requested = commandId !== null && !arrived;
  const error = query.error ?? capture.error;

  const totals = useMemo(
    () => (detail ? appTotals(detail.spans, range.from, range.to).slice(0, 8) : []),
    [detail, range],
  );

  if (!detail) {
    return error ? (
      <p className="error">{errorText(i18n, error)}</p>
    ) : (
      <p className="muted">{t('common.loading')}</p>
    );
  }
  const { seat, agent } = detail;
  const state = displayState(seat);
  const arrivedId = arrived ? commandId : null;

  return (
    <section className="seat">
      <p>
        <Link to="/">{t('seat.back')}</Link>
      </p>
      <div className="seat-head">
        <h1 data-testid="seat-title">
          <UntrustedInMessage message={t('seat.title', { name: SLOT })} value={seat.name} />
        </h1>
        <span className={`state-pill state-${state}`}>{t(`state.${state}`)}</span>
        <span className="spacer" />
        {detail.canCapture && (
          <button
            type="button"
            className="primary"
            onClick={() => capture.mutate()}
            disabled={requested || !seat.connected}
          >
            {t('seat.captureNow')}
          </button>
        )}
      </div>
      {requested && <p className="notice">{t('seat.captureRequested')}</p>}
      {arrived && (
        <p className="notice ok" data-testid="capture-arrived">
          {t('seat.captureArrived')}
        </p>
      )}
      {error !== null && <p className="error">{errorText(i18n, error)}</p>}

      <dl className="facts">
        <dt>{t('seat.project')}</dt>
        <dd>{detail.projectName}</dd>
        <dt>{t('seat.site')}</dt>
        <dd>{detail.siteName ?? t('common.none')}</dd>
        <dt>{t('seat.team')}</dt>
        <dd>{detail.teamName ?? t('common.none')}</dd>
        <dt>{t('seat.operator')}</dt>
        <dd>
          <UntrustedText value={seat.operator} fallback={t('common.none')} testId="detail-operator" />
        </dd>
        <dt>{t('seat.app')}</dt>
        <dd>
          <UntrustedText value={seat.app} fallback={t('common.none')} testId="detail-app" />
        </dd>
        {agent && (
          <>
            <dt>{t('seat.hostname')}</dt>
            <dd>
              <UntrustedText value={agent.hostname} />
            </dd>
            <dt>{t('seat.os')}</dt>
            <dd>{agent.os}</dd>
            <dt>{t('seat.lastIp')}</dt>
            <dd>{agent.lastIp ?? t('common.none')}</dd>
            <dt>{t('seat.lastSeen')}</dt>
            <dd>{agent.lastSeenAt ? dateTime(agent.lastSeenAt) : t('common.none')}</dd>
            <dt>{t('seat.agentVersion')}</dt>
            <dd>{agent.agentVersion}</dd>
            <dt>{t('seat.noticeVersion')}</dt>
            <dd>{agent.noticeVersion}</dd>
          </>
        )}
      </dl>
      {!agent && <p className="muted">{t('seat.noAgent')}</p>}

      <h2>{t('seat.timeline')}</h2>
      <DayStrip detail={detail} from={range.from} to={range.to} />
      {totals.length === 0 ? (
        <p className="muted">{t('seat.timelineEmpty')}</p>
      ) : (
        <ul className="totals">
          {totals.map((total) => (
            <li key={total.app}>
              <span className="swatch" style={{ background: `hsl(${appHue(total.app)} 55% 55%)` }} />
              <UntrustedText value={total.app} fit="line" className="app-name" />
              <span className="muted">{duration(total.ms)}</span>
            </li>
          ))}
        </ul>
      )}

      <h2>{t('seat.screenshots')}</h2>
      {detail.screenshots.length === 0 ? (
        <p className="muted">{t('seat.screenshotsEmpty')}</p>
      ) : (
        <div className="shots">
          {detail.screenshots.map((shot) => (
            <figure
              key={shot.id}
              className={shot.commandId && shot.commandId === arrivedId ? 'shot new' : 'shot'}
              data-testid={
                shot.commandId && shot.commandId === arrivedId ? 'captured-screenshot' : 'screenshot'
              }
            >
              <img
                src={seats.thumbnailUrl(shot.id)}
                alt={t('seat.screenshotAlt', { time: time(shot.time) })}
                loading="lazy"
              />
              <figcaption>
                {time(shot.time)}
                {shot.trigger === 'command' ? ` · ${t('seat.onRequest')}` : ''}
                {shot.osUser ? ' · ' : ''}
                <UntrustedText value={shot.osUser ?? null} testId="screenshot-os-user" />
              </figcaption>
            </figure>
          ))}
        </div>
      )}

      <div className="columns">
        <div>
          <h2>{t('seat.recentActivity')}</h2>
          {detail.spans.length === 0 ? (
            <p className="muted">{t('seat.timelineEmpty')}</p>
          ) : (
            <table className="data">
              <thead>
                <tr>
                  <th>{t('seat.from')}</th>
                  <th>{t('seat.duration')}</th>
                  <th>{t('seat.operator')}</th>
                  <th>{t('seat.app')}</th>
                  <th>{t('seat.windowTitle')}</th>
                </tr>
              </thead>
              <tbody>
                {[...detail.spans]
                  .reverse()
                  .slice(0, 50)
                  .map((span) => (
                    <tr key={span.start}>
                      <td>{time(span.start)}</td>
                      <td>{duration(span.end - span.start)}</td>
                      <td className="text-cell">
                        <UntrustedText value={span.osUser ?? null} testId="span-os-user" />
                      </td>
                      <td className="text-cell">
                        <UntrustedText value={span.app} fit="clamp" testId="span-app" />
                      </td>
                      <td className="title-cell">
                        <UntrustedText value={span.title} fit="clamp" testId="span-title" />
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )}
        </div>
        <div>
          <h2>{t('seat.devices')}</h2>
          {detail.devices.length === 0 ? (
            <p className="muted">{t('seat.devicesEmpty')}</p>
          ) : (
            <table className="data">
              <tbody>
                {detail.devices.map((device) => (
                  <tr key={`${device.time}-${device.name}-${device.action}`}>
                    <td>{time(device.time)}</td>
                    <td>
                      {device.action === 'attached' ? t('seat.deviceAttached') : t('seat.deviceDetached')}
                    </td>
                    <td className="text-cell">
                      <UntrustedText value={device.name} testId="device-name" />
                      {device.massStorage && <span className="badge sev-high">{t('seat.massStorage')}</span>}
                    </td>
                    <td className="text-cell">
                      <UntrustedText value={device.osUser ?? null} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>{t('seat.logins')}</h2>
          {detail.logins.length === 0 ? (
            <p className="muted">{t('seat.loginsEmpty')}</p>
          ) : (
            <table className="data">
              <tbody>
                {detail.logins.map((login) => (
                  <tr key={`${login.time}-${login.ip}`} className={login.allowed ? '' : 'refused'}>
                    <td>{dateTime(login.time)}</td>
                    <td>{login.ip}</td>
                    <td>
                      {login.allowed
                        ? t('seat.loginAllowed')
                        : t('seat.loginRefused', { reason: login.reason ?? '' })}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </section>
  );
}
