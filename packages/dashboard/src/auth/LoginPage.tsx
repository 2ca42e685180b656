import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { auth } from '../api/client.js';
import { queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { LanguagePicker } from '../app/Layout.js';
import { useI18n } from '../i18n/i18n-context.js';
import { CredentialField, TotpCodeField } from './fields.js';
import { TotpKey } from './TotpKey.js';
import { useSession } from './use-session.js';

export function LoginPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const { session, set } = useSession();
  const navigate = useNavigate();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const stage = session?.stage ?? 'password';
  const enrollment = useQuery({ ...queries.totpEnrollment(), enabled: stage === 'totp_setup' });
  const signIn = useMutation({
    mutationFn: () => (stage === 'password' ? auth.login(username, password) : auth.totp(code)),
    onSuccess: (next) => {
      set(next);
      setPassword('');
      setCode('');
    },
  });
  const failure = signIn.error ?? enrollment.error;
  const error = failure ? errorText(i18n, failure) : null;

  useEffect(() => {
    if (stage === 'full') void navigate('/', { replace: true });
  }, [stage, navigate]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signIn.mutate();
  };

  return (
    <main className="centered">
      <form className="card auth" onSubmit={submit}>
        <div className="auth-head">
          <h1>{t('app.name')}</h1>
          <LanguagePicker />
        </div>
        {stage === 'password' && (
          <>
            <h2>{t('login.title')}</h2>
            <CredentialField
              label={t('login.username')}
              name="username"
              autoComplete="username"
              value={username}
              onChange={setUsername}
            />
            <CredentialField
              label={t('login.password')}
              name="password"
              autoComplete="current-password"
              secret
              value={password}
              onChange={setPassword}
            />
          </>
        )}
        {stage === 'totp' && (
          <>
            <h2>{t('totp.title')}</h2>
            <p className="muted">{t('totp.prompt')}</p>
          </>
        )}
        {stage === 'totp_setup' && (
          <>
            <h2>{t('totpSetup.title')}</h2>
            <p className="muted">{t('totpSetup.prompt')}</p>
            {enrollment.data && <TotpKey enrollment={enrollment.data} />}
          </>
        )}
        {stage !== 'password' && <TotpCodeField value={code} onChange={setCode} />}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {stage === 'password' ? t('login.submit') : t('totp.submit')}
        </button>
      </form>
    </main>
  );
}
