import type { TotpEnrollment } from '@seatwatch/shared/dashboard-api';
import { type FormEvent, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { auth } from '../api/client.js';
import { errorText } from '../app/errors.js';
import { LanguagePicker } from '../app/Layout.js';
import { useI18n } from '../i18n/i18n-context.js';
import { useSession } from './session-context.js';
import { TotpKey } from './TotpKey.js';

export function LoginPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const { session, set } = useSession();
  const navigate = useNavigate();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [enrollment, setEnrollment] = useState<TotpEnrollment | null>(null);
  const stage = session?.stage ?? 'password';

  useEffect(() => {
    if (stage === 'full') void navigate('/', { replace: true });
    if (stage === 'totp_setup' && !enrollment) {
      auth.totpEnrollment().then(setEnrollment, (caught: unknown) => setError(errorText(i18n, caught)));
    }
  }, [stage, enrollment, navigate, i18n]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (stage === 'password') set(await auth.login(username, password));
      else set(await auth.totp(code));
      setPassword('');
      setCode('');
    } catch (caught) {
      setError(errorText(i18n, caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="centered">
      <form className="card auth" onSubmit={(event) => void submit(event)}>
        <div className="auth-head">
          <h1>{t('app.name')}</h1>
          <LanguagePicker />
        </div>
        {stage === 'password' && (
          <>
            <h2>{t('login.title')}</h2>
            <label>
              {t('login.username')}
              <input
                name="username"
                autoComplete="username"
                value={username}
                onChange={(event) => setUsername(event.target.value)}
                required
              />
            </label>
            <label>
              {t('login.password')}
              <input
                name="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                required
              />
            </label>
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
            {enrollment && <TotpKey enrollment={enrollment} />}
          </>
        )}
        {stage !== 'password' && (
          <label>
            {t('totp.code')}
            <input
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              value={code}
              onChange={(event) => setCode(event.target.value.replace(/\D/g, ''))}
              required
            />
          </label>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {stage === 'password' ? t('login.submit') : t('totp.submit')}
        </button>
      </form>
    </div>
  );
}
