import type { SetupInspectResponse } from '@seatwatch/shared/dashboard-api';
import { type FormEvent, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { auth } from '../api/client.js';
import { errorText } from '../app/errors.js';
import { LanguagePicker } from '../app/Layout.js';
import { useI18n } from '../i18n/i18n-context.js';
import { useSession } from './session-context.js';
import { TotpKey } from './TotpKey.js';

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
  const [info, setInfo] = useState<SetupInspectResponse | null>(null);
  const [invalid, setInvalid] = useState(false);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!token) {
      setInvalid(true);
      return;
    }
    auth.inspectSetup(token).then(setInfo, () => setInvalid(true));
  }, [token]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) {
      setError(t('setup.mismatch'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const session = await auth.completeSetup({ token, password, ...(code ? { totpCode: code } : {}) });
      window.history.replaceState(null, '', '/setup');
      set(session);
      await navigate('/', { replace: true });
    } catch (caught) {
      setError(errorText(i18n, caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="centered">
      <form className="card auth wide" onSubmit={(event) => void submit(event)}>
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
            <label>
              {t('setup.password')}
              <input
                name="new-password"
                type="password"
                autoComplete="new-password"
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                required
              />
            </label>
            <label>
              {t('setup.passwordConfirm')}
              <input
                name="confirm-password"
                type="password"
                autoComplete="new-password"
                value={confirm}
                onChange={(event) => setConfirm(event.target.value)}
                required
              />
            </label>
            <p className="muted small">{t('setup.passwordRule')}</p>
            <h3>{t('totpSetup.title')}</h3>
            <p className="muted">{info.totpRequired ? t('setup.totpRequired') : t('setup.totpOptional')}</p>
            <TotpKey enrollment={info.totp} />
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
                required={info.totpRequired}
              />
            </label>
            {error && (
              <p className="error" role="alert">
                {error}
              </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
              {t('setup.submit')}
            </button>
          </>
        )}
      </form>
    </div>
  );
}
