import { type FormEvent, type ReactNode, useState } from 'react';
import { useI18n } from '../i18n/i18n-context.js';
import { cidrProblem } from './cidr.js';

export interface AllowlistRow {
  readonly key: string;
  readonly cidr: string;
  /** Where the range applies, for lists that say so (a project's site, or the whole project). */
  readonly scope?: string;
  readonly note: string;
  remove(): void;
}

/**
 * An IP allowlist and the form that adds a range, written once for the
 * dashboard's own allowlist and for each project's agent allowlist. The
 * range is checked as it is typed, with the library the server uses; the
 * inputs are cleared only once the entry is stored (`onAdd` calls `stored`).
 */
export function AllowlistTable({
  rows,
  emptyText,
  scopeInput,
  noteMaxLength,
  onAdd,
}: {
  rows: readonly AllowlistRow[];
  emptyText: string;
  /** Shown between the range and the note, for lists whose entries have a scope. */
  scopeInput?: ReactNode;
  noteMaxLength?: number;
  onAdd: (entry: { cidr: string; note: string }, stored: () => void) => void;
}) {
  const { t } = useI18n();
  const [cidr, setCidr] = useState('');
  const [note, setNote] = useState('');
  const problem = cidr ? cidrProblem(cidr) : null;
  const add = (event: FormEvent) => {
    event.preventDefault();
    if (problem) return;
    onAdd({ cidr: cidr.trim(), note }, () => {
      setCidr('');
      setNote('');
    });
  };
  return (
    <>
      <table className="data">
        <tbody>
          {rows.map((row) => (
            <tr key={row.key}>
              <td>
                <code>{row.cidr}</code>
              </td>
              {row.scope !== undefined && <td>{row.scope}</td>}
              <td>{row.note}</td>
              <td>
                <button type="button" className="link" onClick={row.remove}>
                  {t('common.remove')}
                </button>
              </td>
            </tr>
          ))}
          {rows.length === 0 && (
            <tr>
              <td className="muted">{emptyText}</td>
            </tr>
          )}
        </tbody>
      </table>
      <form className="row" onSubmit={add}>
        <input
          aria-label={t('access.cidr')}
          placeholder={t('access.cidrPlaceholder')}
          value={cidr}
          aria-invalid={problem !== null}
          onChange={(event) => setCidr(event.target.value)}
          required
        />
        {scopeInput}
        <input
          aria-label={t('access.note')}
          placeholder={t('access.note')}
          value={note}
          maxLength={noteMaxLength}
          onChange={(event) => setNote(event.target.value)}
        />
        <button type="submit" disabled={problem !== null}>
          {t('common.add')}
        </button>
      </form>
      {problem && <p className="error small">{t(problem)}</p>}
    </>
  );
}
