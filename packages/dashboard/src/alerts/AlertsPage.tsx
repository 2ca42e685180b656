import type { Anomaly, AnomalyStatus } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { anomalies } from '../api/anomalies.js';
import { queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { menusFor } from '../app/menus.js';
import { useSession } from '../auth/use-session.js';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';
import { putAnomaly } from '../live/live-cache.js';
import { useLiveCache } from '../live/use-live-cache.js';
import { AlertMessage } from './AlertMessage.js';
import { ruleLabel } from './rule-label.js';

const STATUSES: readonly AnomalyStatus[] = ['open', 'acknowledged', 'resolved', 'false_positive'];

function AlertRow({ item }: { item: Anomaly }) {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const [comment, setComment] = useState('');
  const { session } = useSession();
  const investigates = menusFor(session?.user?.grants ?? []).investigation;
  const client = useQueryClient();
  // The answer is the anomaly as now stored: it goes into every cached list, as a live message would.
  const setStatus = useMutation({
    mutationFn: (status: AnomalyStatus) => anomalies.setStatus(item.id, { status, comment }),
    onSuccess: (changed) => {
      putAnomaly(client, changed);
      setComment('');
    },
  });
  const act = (status: AnomalyStatus) => setStatus.mutate(status);
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
          <Link to={`/seats/${encodeURIComponent(item.seatId)}`}>
            <UntrustedText value={item.seatName ?? item.seatId} testId="alert-seat" />
          </Link>
        )}
        {item.operator && <UntrustedText value={item.operator} className="muted" testId="alert-operator" />}
        <span className="spacer" />
        <span className="muted small">{t('alerts.count', { count: item.count })}</span>
        <span className="muted small">{dateTime(item.lastAt)}</span>
      </div>
      <AlertMessage anomaly={item} />
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
          <button type="button" onClick={() => act('acknowledged')}>
            {t('alerts.acknowledge')}
          </button>
        )}
        {item.status !== 'resolved' && (
          <button type="button" onClick={() => act('resolved')}>
            {t('alerts.resolve')}
          </button>
        )}
        {item.status !== 'false_positive' && (
          <button type="button" onClick={() => act('false_positive')}>
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
      {setStatus.error && <p className="error">{errorText(i18n, setStatus.error)}</p>}
    </li>
  );
}

export function AlertsPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState<AnomalyStatus | ''>('open');
  const live = useLiveCache();
  const list = useQuery({ ...queries.anomalyList(status || undefined), enabled: live });
  // A list that could not be read still takes live alerts (live/live-cache.ts); its error stays
  // shown until it is read again, since writing those alerts in does not clear a failed read.
  const error = list.error ?? list.failureReason;
  const items = list.data ?? (list.isError ? [] : null);

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
          <AlertRow key={item.id} item={item} />
        ))}
      </ul>
    </section>
  );
}
