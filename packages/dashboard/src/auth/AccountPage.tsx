import type { SessionSummary } from '@seatwatch/shared/dashboard-api';
import { useCallback, useEffect, useState } from 'react';
import { auth } from '../api/client.js';
import { errorText } from '../app/errors.js';
import { useI18n } from '../i18n/i18n-context.js';
import { useSession } from './session-context.js';

export function AccountPage() {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const { session } = useSession();
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(async () => {
    try {
      setSessions(await auth.sessions());
    } catch (caught) {
      setError(caught);
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const revoke = async (id: string) => {
    try {
      await auth.revokeSession(id);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };
  const user = session?.user;
  return (
    <section>
      <h1>{t('account.title')}</h1>
      {user && (
        <dl className="facts">
          <dt>{t('users.username')}</dt>
          <dd>{user.username}</dd>
          <dt>{t('users.displayName')}</dt>
          <dd>{user.displayName || t('common.none')}</dd>
          <dt>{t('users.twoFactor')}</dt>
          <dd>{user.totpEnabled ? t('common.yes') : t('common.no')}</dd>
          <dt>{t('users.grants')}</dt>
          <dd>{user.grants.map((grant) => t(`role.${grant.role}`)).join(', ')}</dd>
        </dl>
      )}
      <h2>{t('account.sessions')}</h2>
      {error !== null && <p className="error">{errorText(i18n, error)}</p>}
      <table className="data">
        <thead>
          <tr>
            <th>{t('account.signedIn')}</th>
            <th>{t('account.lastSeen')}</th>
            <th>{t('account.ip')}</th>
            <th>{t('account.browser')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {sessions?.map((each) => (
            <tr key={each.id}>
              <td>{dateTime(each.createdAt)}</td>
              <td>{dateTime(each.lastSeenAt)}</td>
              <td>{each.ip}</td>
              <td className="title-cell">{each.userAgent}</td>
              <td>
                {each.current ? (
                  <span className="muted">{t('account.thisSession')}</span>
                ) : (
                  <button type="button" className="link" onClick={() => void revoke(each.id)}>
                    {t('account.revoke')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
