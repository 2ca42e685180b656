import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { auth } from '../api/client.js';
import { changed, queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { useI18n } from '../i18n/i18n-context.js';
import { useSession } from './use-session.js';

export function AccountPage() {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const { session } = useSession();
  const client = useQueryClient();
  const { data: sessions, error: loadError } = useQuery(queries.accountSessions());
  const revoke = useMutation({
    mutationFn: auth.revokeSession,
    onSuccess: () => changed.accountSessions(client),
  });
  const error = revoke.error ?? loadError;
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
                  <button type="button" className="link" onClick={() => revoke.mutate(each.id)}>
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
