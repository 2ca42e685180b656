import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { auth } from '../api/client.js';
import { ApiError } from '../api/http.js';
import { changed, queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { useI18n } from '../i18n/i18n-context.js';
import { CredentialField, NewPasswordFields, TotpCodeField } from './fields.js';
import { useSession } from './use-session.js';

/** The current password (and code, with an authenticator), then the new one twice; other sessions end. */
function ChangePassword({ totpEnabled }: { totpEnabled: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const client = useQueryClient();
  const [current, setCurrent] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const change = useMutation({
    mutationFn: () =>
      auth.changePassword({
        currentPassword: current,
        newPassword: password,
        ...(totpEnabled ? { totpCode: code } : {}),
      }),
    onSuccess: () => {
      setCurrent('');
      setPassword('');
      setConfirm('');
      setCode('');
      return changed.accountSessions(client);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMismatch(password !== confirm);
    if (password === confirm) change.mutate();
  };
  const error = mismatch
    ? t('setup.mismatch')
    : change.error instanceof ApiError && change.error.code === 'credentials_wrong'
      ? t('password.wrong')
      : change.error
        ? errorText(i18n, change.error)
        : null;
  return (
    <form className="card" onSubmit={submit} data-testid="change-password">
      <h2>{t('password.title')}</h2>
      <CredentialField
        label={t('password.current')}
        name="current-password"
        autoComplete="current-password"
        secret
        value={current}
        onChange={setCurrent}
      />
      {totpEnabled && <TotpCodeField value={code} onChange={setCode} />}
      <NewPasswordFields
        password={password}
        confirm={confirm}
        onPassword={setPassword}
        onConfirm={setConfirm}
      />
      <p className="muted small">{t('password.othersEnd')}</p>
      {error !== null && <p className="error small">{error}</p>}
      {change.isSuccess && !mismatch && <p className="ok small">{t('password.changed')}</p>}
      <button type="submit" disabled={change.isPending}>
        {t('password.submit')}
      </button>
    </form>
  );
}

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
      {user && <ChangePassword totpEnabled={user.totpEnabled} />}
      <h2>{t('account.sessions')}</h2>
      {error !== null && <p className="error">{errorText(i18n, error)}</p>}
      <table className="data">
        <thead>
          <tr>
            <th>{t('account.signedIn')}</th>
            <th>{t('account.lastSeen')}</th>
            <th>{t('account.ip')}</th>
            <th>{t('account.browser')}</th>
            <th>
              <span className="sr-only">{t('common.actions')}</span>
            </th>
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
