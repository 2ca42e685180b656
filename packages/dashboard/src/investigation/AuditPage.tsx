/** The audit log for auditors: filters, newest first, paged; entries show their chain hashes. */
import type { AuditQuery } from '@seatwatch/shared/dashboard-api';
import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';

export function AuditPage() {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const [filter, setFilter] = useState<AuditQuery>({ limit: 100 });
  const [draft, setDraft] = useState({ actor: '', action: '', seatId: '', caseId: '' });
  const pages = useInfiniteQuery(queries.audit(filter));
  const entries = pages.data?.pages.flatMap((page) => page.entries) ?? [];
  const error = pages.error;

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const chosen: AuditQuery = { limit: 100 };
    for (const [key, value] of Object.entries(draft))
      if (value.trim()) Object.assign(chosen, { [key]: value.trim() });
    setFilter(chosen);
  };

  return (
    <section className="investigation">
      <h1>{t('audit.title')}</h1>
      <p className="muted small">{t('audit.help')}</p>
      <form className="toolbar wrap" onSubmit={apply}>
        {(['actor', 'action', 'seatId', 'caseId'] as const).map((key) => (
          <label key={key}>
            {t(`audit.filter.${key}`)}
            <input
              value={draft[key]}
              onChange={(event) => setDraft({ ...draft, [key]: event.target.value })}
            />
          </label>
        ))}
        <button type="submit" className="primary">
          {t('audit.apply')}
        </button>
      </form>
      {error ? <p className="error">{errorText(i18n, error)}</p> : null}
      <table className="data" data-testid="audit-entries">
        <thead>
          <tr>
            <th>{t('audit.seq')}</th>
            <th>{t('audit.when')}</th>
            <th>{t('audit.who')}</th>
            <th>{t('audit.action')}</th>
            <th>{t('audit.outcome')}</th>
            <th>{t('audit.target')}</th>
            <th>{t('audit.reason')}</th>
            <th>{t('audit.ip')}</th>
            <th>{t('audit.hash')}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td>{dateTime(entry.at)}</td>
              <td className="text-cell">
                <UntrustedText value={entry.actor} />
              </td>
              <td>{entry.action}</td>
              <td>{entry.outcome}</td>
              <td>
                {entry.target ? `${entry.target.kind} ${entry.target.id}` : ''}
                {entry.caseId ? ` · ${t('audit.case')} ${entry.caseId}` : ''}
              </td>
              <td className="text-cell">
                <UntrustedText value={entry.reason} fit="clamp" />
              </td>
              <td>{entry.ip ?? ''}</td>
              <td title={`${t('audit.prevHash')} ${entry.prevHash}`}>
                <code>{entry.hash.slice(0, 12)}…</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages.hasNextPage && (
        <button type="button" onClick={() => void pages.fetchNextPage()}>
          {t('investigation.more')}
        </button>
      )}
    </section>
  );
}
