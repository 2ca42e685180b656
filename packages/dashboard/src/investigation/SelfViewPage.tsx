/**
 * The operator self-view (no dashboard account): opened from the agent's
 * transparency page with a one-time token in the URL fragment. Shows what
 * the server holds about this operator (OS account) at this seat and who
 * looked at it, when and why; supervisors' board, seat-page and thumbnail
 * looks included, folded per minute with how many times.
 */
import { useQuery } from '@tanstack/react-query';
import { selfView } from '../api/investigation.js';
import { queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { LanguagePicker } from '../app/Layout.js';
import { SLOT, UntrustedInMessage, UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';

/**
 * The token works once: it is dropped from the address bar (and history)
 * before it is used, and only the first read spends it; any later read uses
 * the self-view session that first one opened.
 */
function takeTokenFromLocation(): string | null {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (token) window.history.replaceState(null, '', window.location.pathname);
  return token;
}

export function SelfViewPage() {
  const i18n = useI18n();
  const { t, dateTime, duration } = i18n;
  const { data: view, error } = useQuery(queries.selfView(takeTokenFromLocation));

  if (!view) {
    return (
      <main className="centered">
        <p className={error ? 'error' : 'muted'}>{error ? errorText(i18n, error) : t('common.loading')}</p>
        {error ? <p className="muted">{t('selfView.reopen')}</p> : null}
      </main>
    );
  }
  return (
    <main className="investigation self-view">
      <header className="toolbar">
        <h1>
          <UntrustedInMessage message={t('selfView.title', { seat: SLOT })} value={view.seat.name} />
        </h1>
        <span className="spacer" />
        <LanguagePicker />
      </header>
      <p>{t('selfView.intro', { project: view.seat.projectName, days: view.retentionDays })}</p>
      {view.operator ? (
        <p data-testid="self-view-operator">
          <UntrustedInMessage message={t('selfView.operator', { account: SLOT })} value={view.operator} />
        </p>
      ) : null}
      <p className="muted small">{t('selfView.expires', { when: dateTime(view.expiresAt) })}</p>
      <h2>{t('selfView.access')}</h2>
      {view.access.length === 0 ? (
        <p>{t('selfView.noAccess')}</p>
      ) : (
        <table className="data" data-testid="self-view-access">
          <thead>
            <tr>
              <th>{t('audit.when')}</th>
              <th>{t('audit.who')}</th>
              <th>{t('audit.action')}</th>
              <th>{t('audit.reason')}</th>
            </tr>
          </thead>
          <tbody>
            {view.access.map((entry) => (
              <tr key={`${entry.at}-${entry.action}-${entry.who}`}>
                <td>{dateTime(entry.at)}</td>
                <td>{entry.who}</td>
                <td>
                  {entry.action}
                  {entry.count && entry.count > 1 ? ` (${t('selfView.times', { count: entry.count })})` : ''}
                </td>
                <td>{entry.reason ?? (entry.caseId ? `${t('audit.case')} ${entry.caseId}` : '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t('selfView.collected')}</h2>
      <p>
        {t('selfView.counts', {
          spans: view.counts.spans,
          screenshots: view.counts.screenshots,
          devices: view.counts.devices,
          logins: view.counts.logins,
        })}
        {view.counts.oldest ? ` ${t('selfView.oldest', { when: dateTime(view.counts.oldest) })}` : ''}
      </p>
      <p className="muted">
        {view.screenshotsEnabled
          ? t('selfView.screenshotsEvery', { interval: duration(view.screenshotIntervalMs) })
          : t('selfView.screenshotsOff')}
      </p>
      <h2>{t('selfView.recentActivity')}</h2>
      <table className="data">
        <tbody>
          {view.recentSpans.map((span) => (
            <tr key={span.id}>
              <td>{dateTime(span.start)}</td>
              <td className="text-cell">
                <UntrustedText value={span.app} fit="clamp" />
              </td>
              <td className="title-cell">
                <UntrustedText value={span.title} fit="clamp" />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('selfView.screenshots')}</h2>
      <div className="shots">
        {view.screenshots.map((shot) => (
          <figure key={shot.id}>
            <img src={selfView.thumbnailUrl(shot.id)} alt={dateTime(shot.time)} loading="lazy" />
            <figcaption>{dateTime(shot.time)}</figcaption>
          </figure>
        ))}
      </div>
      <h2>{t('selfView.devices')}</h2>
      <ul>
        {view.devices.map((device) => (
          <li key={device.id}>
            {dateTime(device.time)} · {device.action} · <UntrustedText value={device.name} />
          </li>
        ))}
      </ul>
      <h2>{t('selfView.logins')}</h2>
      <ul>
        {view.logins.map((login) => (
          <li key={login.id}>
            {dateTime(login.time)} · {login.ip} ·{' '}
            {login.allowed ? t('investigation.allowed') : t('investigation.refused')}
          </li>
        ))}
      </ul>
    </main>
  );
}
