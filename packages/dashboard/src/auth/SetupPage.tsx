import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router';
import { auth } from '../api/client.js';
import { queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { LanguagePicker } from '../app/Layout.js';
import { useI18n } from '../i18n/i18n-context.js';
import { NewPasswordFields, TotpCodeField } from './fields.js';
import { TotpKey } from './TotpKey.js';
import { useSession } from './use-session.js';

/** The one-time link's token travels in the URL fragment, so it never reaches a server log or a Referer. */
function tokenFromLocation(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

export function SetupPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const { set } = useSession();
  const navigate = useNavigate();
  const [token] = useState(tokenFromLocation);
  const inspect = useQuery({ ...queries.setupLink(token), enabled: token !== '' });
  const info = inspect.data;
  const invalid = token === '' || inspect.isError;
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const complete = useMutation({
    mutationFn: () => auth.completeSetup({ token, password, ...(code ? { totpCode: code } : {}) }),
    onSuccess: async (session) => {
      window.history.replaceState(null, '', '/setup');
      set(session);
      await navigate('/', { replace: true });
    },
  });
  const error = mismatch ? t('setup.mismatch') : complete.error ? errorText(i18n, complete.error) : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMismatch(password !== confirm);
    if (password === confirm) complete.mutate();
  };

  return (
    <main className="centered">
      <form className="card auth wide" onSubmit={submit}>
        <div className="auth-head">
          <h1>{t('app.name')}</h1>
          <LanguagePicker />
        </div>
        <h2>{t('setup.title')}</h2>
        {invalid && (
          <p className="error" role="alert">
            {t('setup.invalid')}
          </p>
        )}
        {!invalid && !info && <p className="muted">{t('common.loading')}</p>}
        {info && (
          <>
            <p>{t('setup.intro', { username: info.username })}</p>
            <NewPasswordFields
              password={password}
              confirm={confirm}
              onPassword={setPassword}
              onConfirm={setConfirm}
            />
            <h3>{t('totpSetup.title')}</h3>
            <p className="muted">{info.totpRequired ? t('setup.totpRequired') : t('setup.totpOptional')}</p>
            <TotpKey enrollment={info.totp} />
            <TotpCodeField value={code} onChange={setCode} required={info.totpRequired} />
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={complete.isPending}>
              {t('setup.submit')}
            </button>
          </>
        )}
      </form>
    </main>
  );
}
