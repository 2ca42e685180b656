/** Cases: the list (newest change first) and a form to open one by hand or from an anomaly. */
import type { CaseStatus } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { cases } from '../api/investigation.js';
import { changed, queries, queryKeys } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { useSession } from '../auth/use-session.js';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';

export function CasesPage() {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { session } = useSession();
  const projects = [
    ...new Set(
      (session?.user?.grants ?? [])
        .filter((grant) => grant.role === 'investigator' && grant.teamId === null && grant.projectId)
        .map((grant) => grant.projectId!),
    ),
  ];
  const [status, setStatus] = useState<CaseStatus | ''>('');
  const [title, setTitle] = useState('');
  const [projectId, setProjectId] = useState(params.get('project') ?? projects[0] ?? '');
  const [fromAnomalyId, setFromAnomalyId] = useState(params.get('fromAnomaly') ?? '');
  const client = useQueryClient();
  const listed = useQuery(queries.caseList(status || undefined));
  const list = listed.data ?? [];
  const create = useMutation({
    mutationFn: () =>
      cases.create({
        projectId,
        title,
        ...(fromAnomalyId.trim() ? { fromAnomalyId: fromAnomalyId.trim() } : {}),
      }),
    onSuccess: async (detail) => {
      client.setQueryData(queryKeys.caseDetail(detail.case.id), detail);
      void changed.cases(client);
      await navigate(`/investigation/cases/${detail.case.id}`);
    },
  });
  const error = create.error ?? listed.error;

  return (
    <section className="investigation">
      <h1>{t('cases.title')}</h1>
      <form
        className="toolbar wrap"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <label>
          {t('cases.newTitle')}
          <input value={title} onChange={(event) => setTitle(event.target.value)} required maxLength={200} />
        </label>
        {projects.length > 1 || projects.length === 0 ? (
          <label>
            {t('cases.project')}
            <input value={projectId} onChange={(event) => setProjectId(event.target.value)} required />
          </label>
        ) : null}
        <label>
          {t('cases.fromAnomaly')}
          <input value={fromAnomalyId} onChange={(event) => setFromAnomalyId(event.target.value)} />
        </label>
        <button type="submit" className="primary">
          {t('cases.open')}
        </button>
      </form>
      <div className="toolbar">
        <label>
          {t('cases.status')}
          <select value={status} onChange={(event) => setStatus(event.target.value as CaseStatus | '')}>
            <option value="">{t('cases.allStatuses')}</option>
            <option value="open">{t('cases.status.open')}</option>
            <option value="in_progress">{t('cases.status.in_progress')}</option>
            <option value="closed">{t('cases.status.closed')}</option>
          </select>
        </label>
      </div>
      {error ? <p className="error">{errorText(i18n, error)}</p> : null}
      <table className="data">
        <thead>
          <tr>
            <th>{t('cases.caseTitle')}</th>
            <th>{t('cases.status')}</th>
            <th>{t('cases.assignee')}</th>
            <th>{t('cases.items')}</th>
            <th>{t('cases.legalHold')}</th>
            <th>{t('cases.updated')}</th>
          </tr>
        </thead>
        <tbody>
          {list.map((c) => (
            <tr key={c.id}>
              <td>
                <Link to={`/investigation/cases/${c.id}`}>
                  <UntrustedText value={c.title} />
                </Link>
              </td>
              <td>{t(`cases.status.${c.status}`)}</td>
              <td>{c.assigneeName ?? t('common.none')}</td>
              <td>{c.items}</td>
              <td>{c.legalHold ? t('common.yes') : t('common.no')}</td>
              <td>{dateTime(c.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
