import type { Anomaly, AnomalyStatus } from '@seatwatch/shared/dashboard-api';
import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { anomalies } from '../api/anomalies.js';
import { errorText } from '../app/errors.js';
import { menusFor } from '../app/menus.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { liveStream } from '../live/live-stream.js';
import { ruleLabel } from './rule-label.js';

const STATUSES: readonly AnomalyStatus[] = ['open', 'acknowledged', 'resolved', 'false_positive'];

/** Newest first: by last occurrence, so an anomaly that happens again comes back to the top. */
function upsert(list: readonly Anomaly[], item: Anomaly): Anomaly[] {
  return [item, ...list.filter((other) => other.id !== item.id)].sort((a, b) => b.lastAt - a.lastAt);
}

function AlertRow({ item, onChanged }: { item: Anomaly; onChanged: (item: Anomaly) => void }) {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const { session } = useSession();
  const investigates = menusFor(session?.user?.grants ?? []).investigation;
  const act = async (status: AnomalyStatus) => {
    try {
      onChanged(await anomalies.setStatus(item.id, { status, comment }));
      setComment('');
      setError(null);
    } catch (caught) {
      setError(errorText(i18n, caught));
    }
  };
  return (
    <li
      className={`alert sev-${item.severity} status-${item.status}`}
      data-testid="alert"
      data-rule={item.rule}
    >
      <div className="alert-head">
        <span className={`badge sev-${item.severity}`}>{t(`severity.${item.severity}`)}</span>
        <strong>{ruleLabel(i18n, item.rule)}</strong>
        {item.seatId && (
          <Link to={`/seats/${encodeURIComponent(item.seatId)}`}>{item.seatName ?? item.seatId}</Link>
        )}
        {item.operator && <span className="muted">{item.operator}</span>}
        <span className="spacer" />
        <span className="muted small">{t('alerts.count', { count: item.count })}</span>
        <span className="muted small">{dateTime(item.lastAt)}</span>
      </div>
      <div className="alert-summary" data-testid="alert-summary">
        {item.summary}
      </div>
      {item.status !== 'open' && (
        <div className="muted small">
          {t('alerts.statusBy', {
            status: t(`status.${item.status}`),
            user: item.statusBy ?? '',
            time: item.statusAt ? dateTime(item.statusAt) : '',
          })}
          {item.comment ? ` — ${item.comment}` : ''}
        </div>
      )}
      <div className="alert-actions">
        <input
          aria-label={t('alerts.comment')}
          placeholder={t('alerts.comment')}
          value={comment}
          maxLength={2000}
          onChange={(event) => setComment(event.target.value)}
        />
        {item.status === 'open' && (
          <button type="button" onClick={() => void act('acknowledged')}>
            {t('alerts.acknowledge')}
          </button>
        )}
        {item.status !== 'resolved' && (
          <button type="button" onClick={() => void act('resolved')}>
            {t('alerts.resolve')}
          </button>
        )}
        {item.status !== 'false_positive' && (
          <button type="button" onClick={() => void act('false_positive')}>
            {t('alerts.falsePositive')}
          </button>
        )}
        {investigates && (
          <Link
            to={`/investigation/cases?fromAnomaly=${encodeURIComponent(item.id)}&project=${encodeURIComponent(item.projectId)}`}
          >
            {t('alerts.openCase')}
          </Link>
        )}
      </div>
      {error && <p className="error">{error}</p>}
    </li>
  );
}

export function AlertsPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState<AnomalyStatus | ''>('open');
  const [items, setItems] = useState<Anomaly[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setItems(await anomalies.list(status || undefined));
      setError(null);
    } catch (caught) {
      setError(caught);
      // Live alerts still arrive while the list cannot be read.
      setItems((current) => current ?? []);
    }
  }, [status]);

  useEffect(() => {
    return liveStream.subscribe({
      open: () => void load(),
      anomaly: (message) => {
        const item = message.anomaly;
        setItems((current) => {
          if (!current) return current;
          if (status && item.status !== status) return current.filter((other) => other.id !== item.id);
          return upsert(current, item);
        });
      },
    });
  }, [load, status]);

  const changed = (item: Anomaly) =>
    setItems((current) =>
      current && status && item.status !== status
        ? current.filter((other) => other.id !== item.id)
        : upsert(current ?? [], item),
    );

  return (
    <section className="alerts">
      <div className="toolbar">
        <h1>{t('alerts.title')}</h1>
        <select
          aria-label={t('alerts.filterStatus')}
          value={status}
          onChange={(event) => setStatus(event.target.value as AnomalyStatus | '')}
        >
          <option value="">{t('alerts.allStatuses')}</option>
          {STATUSES.map((each) => (
            <option key={each} value={each}>
              {t(`status.${each}`)}
            </option>
          ))}
        </select>
      </div>
      {error !== null && <p className="error">{errorText(i18n, error)}</p>}
      {items === null && error === null && <p className="muted">{t('common.loading')}</p>}
      {items?.length === 0 && <p className="muted">{t('alerts.empty')}</p>}
      <ul className="alert-list" data-testid="alert-list">
        {items?.map((item) => (
          <AlertRow key={item.id} item={item} onChanged={changed} />
        ))}
      </ul>
    </section>
  );
}
