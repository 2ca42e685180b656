/**
 * The sign-in and setup forms' inputs, written once. `name` and
 * `autoComplete` tell the browser's password manager which is which (and
 * the end-to-end tests find the inputs by name).
 */
import { useI18n } from '../i18n/i18n-context.js';

export function CredentialField({
  label,
  name,
  autoComplete,
  secret = false,
  value,
  onChange,
}: {
  label: string;
  name: string;
  autoComplete: 'username' | 'current-password' | 'new-password';
  secret?: boolean;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {label}
      <input
        name={name}
        type={secret ? 'password' : 'text'}
        autoComplete={autoComplete}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        required
      />
    </label>
  );
}

/** A new password, typed twice, and the rule it must meet (setup and the account page). */
export function NewPasswordFields({
  password,
  confirm,
  onPassword,
  onConfirm,
}: {
  password: string;
  confirm: string;
  onPassword: (value: string) => void;
  onConfirm: (value: string) => void;
}) {
  const { t } = useI18n();
  return (
    <>
      <CredentialField
        label={t('setup.password')}
        name="new-password"
        autoComplete="new-password"
        secret
        value={password}
        onChange={onPassword}
      />
      <CredentialField
        label={t('setup.passwordConfirm')}
        name="confirm-password"
        autoComplete="new-password"
        secret
        value={confirm}
        onChange={onConfirm}
      />
      <p className="muted small">{t('setup.passwordRule')}</p>
    </>
  );
}

/** The authenticator's six-digit code; anything but digits is dropped as it is typed. */
export function TotpCodeField({
  value,
  onChange,
  required = true,
}: {
  value: string;
  onChange: (value: string) => void;
  required?: boolean;
}) {
  const { t } = useI18n();
  return (
    <label>
      {t('totp.code')}
      <input
        name="code"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9]{6}"
        maxLength={6}
        value={value}
        onChange={(event) => onChange(event.target.value.replace(/\D/g, ''))}
        required={required}
      />
    </label>
  );
}
