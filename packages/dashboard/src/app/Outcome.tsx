import { useI18n } from '../i18n/i18n-context.js';
import { errorText } from './errors.js';

/** The line under a form: what went wrong (reading or saving), else the confirmation a save gives, if any. */
export function Outcome({ error, done }: { error: unknown; done?: string | null }) {
  const i18n = useI18n();
  if (error) return <p className="error small">{errorText(i18n, error)}</p>;
  if (done) return <p className="ok small">{done}</p>;
  return null;
}
