import type { EnrollmentToken } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { admin } from '../../api/admin.js';
import { changed, queries } from '../../api/queries.js';
import { Outcome } from '../../app/Outcome.js';
import { useI18n } from '../../i18n/i18n-context.js';
import { SiteSelect } from './SiteSelect.js';

/** Enrollment tokens: the list, revoking one, and issuing one whose secret is shown once. */
export function TokensSection({ projectId }: { projectId: string }) {
  const { t, dateTime } = useI18n();
  const client = useQueryClient();
  const tokensQuery = useQuery(queries.tokens(projectId));
  const sitesQuery = useQuery(queries.sites(projectId));
  const tokens = tokensQuery.data ?? [];
  const sites = sitesQuery.data ?? [];
  const [label, setLabel] = useState('');
  const [siteId, setSiteId] = useState('');
  const [hours, setHours] = useState(168);
  const [maxUses, setMaxUses] = useState(1);
  const readTokensAgain = () => changed.projectPart(client, projectId, 'tokens');
  const issue = useMutation({
    mutationFn: () =>
      admin.issueToken(projectId, { label, expiresInHours: hours, maxUses, ...(siteId ? { siteId } : {}) }),
    onSuccess: () => {
      setLabel('');
      return readTokensAgain();
    },
    // The secret lives only as long as the notice that shows it: nothing keeps it after Close.
    gcTime: 0,
  });
  const revoke = useMutation({
    mutationFn: (tokenId: string) => admin.revokeToken(projectId, tokenId),
    onSuccess: readTokensAgain,
  });
  const issued = issue.data;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    issue.mutate();
  };
  const state = (token: EnrollmentToken) =>
    token.revokedAt
      ? t('tokens.revoked')
      : Date.parse(token.expiresAt) <= Date.now()
        ? t('tokens.expired')
        : token.uses >= token.maxUses
          ? t('tokens.usedUp')
          : t('tokens.valid');
  return (
    <div>
      {issued && (
        <div className="notice ok one-time" role="status">
          <p>{t('tokens.shownOnce')}</p>
          <input
            readOnly
            value={issued.token}
            data-testid="issued-token"
            onFocus={(event) => event.target.select()}
          />
          <button type="button" onClick={() => issue.reset()}>
            {t('common.close')}
          </button>
        </div>
      )}
      <table className="data">
        <thead>
          <tr>
            <th>{t('tokens.label')}</th>
            <th>{t('seat.site')}</th>
            <th>{t('tokens.uses')}</th>
            <th>{t('tokens.expires')}</th>
            <th>{t('users.status')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {tokens.map((token) => (
            <tr key={token.id}>
              <td>{token.label || t('common.none')}</td>
              <td>{sites.find((site) => site.id === token.siteId)?.name ?? t('common.none')}</td>
              <td>
                {token.uses} / {token.maxUses}
              </td>
              <td>{dateTime(Date.parse(token.expiresAt))}</td>
              <td>{state(token)}</td>
              <td>
                {!token.revokedAt && (
                  <button type="button" className="link" onClick={() => revoke.mutate(token.id)}>
                    {t('tokens.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="row" onSubmit={submit}>
        <label>
          {t('tokens.label')}
          <input value={label} maxLength={200} onChange={(event) => setLabel(event.target.value)} />
        </label>
        <SiteSelect sites={sites} value={siteId} onChange={setSiteId} />
        <label>
          {t('tokens.validHours')}
          <input
            type="number"
            min={1}
            max={8760}
            value={hours}
            onChange={(event) => setHours(Number(event.target.value))}
          />
        </label>
        <label>
          {t('tokens.maxUses')}
          <input
            type="number"
            min={1}
            max={100000}
            value={maxUses}
            onChange={(event) => setMaxUses(Number(event.target.value))}
          />
        </label>
        <button type="submit" className="primary">
          {t('tokens.issue')}
        </button>
      </form>
      <Outcome error={issue.error ?? revoke.error ?? tokensQuery.error ?? sitesQuery.error} />
    </div>
  );
}
