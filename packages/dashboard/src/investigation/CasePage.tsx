/** One case: status and assignee, legal hold, items, notes, and the signed evidence bundle. */
import type { CaseDetail, CaseStatus } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useParams } from 'react-router';
import { cases } from '../api/investigation.js';
import { changed, queries, queryKeys } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { useSession } from '../auth/use-session.js';
import { SeatPicker } from '../components/SeatPicker.js';
import { UntrustedText } from '../components/UntrustedText.js';
import { useI18n } from '../i18n/i18n-context.js';
import { fromLocalInput, toLocalInput } from './purpose.js';

export function CasePage() {
  const i18n = useI18n();
  const { t, dateTime } = i18n;
  const { id = '' } = useParams();
  const { session } = useSession();
  const client = useQueryClient();
  const loaded = useQuery(queries.caseDetail(id));
  const detail = loaded.data;
  const projectId = detail?.case.projectId ?? '';
  // Without the list of assignees the case still shows; the choice offers no one.
  const assignees = useQuery({ ...queries.assignees(projectId), enabled: projectId !== '' }).data ?? [];
  // Seats to name in time ranges and to pick a range's seat from (the project's, as far as the viewer may see).
  const seats = (useQuery(queries.investigationSeats()).data ?? []).filter(
    (seat) => seat.projectId === projectId,
  );
  const seatName = (seatId: string | null) => seats.find((seat) => seat.id === seatId)?.name ?? seatId;
  const [note, setNote] = useState('');
  const [holdReason, setHoldReason] = useState('');
  const [exportReason, setExportReason] = useState('');
  const [range, setRange] = useState({
    seatId: '',
    from: toLocalInput(Date.now() - 3_600_000),
    to: toLocalInput(Date.now()),
  });
  // Every change answers with the case as now stored; the case list shows some of it too.
  const change = useMutation({
    mutationFn: (send: () => Promise<CaseDetail>) => send(),
    onSuccess: (next) => {
      client.setQueryData(queryKeys.caseDetail(id), next);
      void changed.cases(client);
    },
  });
  const run = (send: () => Promise<CaseDetail>, done?: () => void) =>
    change.mutate(send, done ? { onSuccess: done } : {});
  const download = useMutation({
    mutationFn: async () => {
      const blob = await cases.exportBundle(id, exportReason.trim() || undefined, session?.csrfToken ?? null);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `case-${id}.zip`;
      link.click();
      URL.revokeObjectURL(url);
    },
  });
  const error = change.error ?? download.error ?? loaded.error;
  if (!detail) return <p className="muted">{error ? errorText(i18n, error) : t('common.loading')}</p>;
  const c = detail.case;
  const addNote = (event: FormEvent) => {
    event.preventDefault();
    run(
      () => cases.addNote(id, note),
      () => setNote(''),
    );
  };
  const addRange = (event: FormEvent) => {
    event.preventDefault();
    run(() =>
      cases.addItem(id, {
        kind: 'time_range',
        seatId: range.seatId,
        from: fromLocalInput(range.from),
        to: fromLocalInput(range.to),
      }),
    );
  };

  return (
    <section className="investigation">
      <h1>
        <UntrustedText value={c.title} />
      </h1>
      <p className="muted">
        {t('cases.openedBy', { who: c.createdBy, when: dateTime(c.createdAt) })}
        {c.openedFromAnomalyId ? ` · ${t('cases.fromAnomaly')}: ${c.openedFromAnomalyId}` : ''}
      </p>
      {c.description ? <p>{c.description}</p> : null}
      {error ? <p className="error">{errorText(i18n, error)}</p> : null}
      <div className="toolbar wrap">
        <label>
          {t('cases.status')}
          <select
            value={c.status}
            onChange={(event) => run(() => cases.update(id, { status: event.target.value as CaseStatus }))}
          >
            <option value="open">{t('cases.status.open')}</option>
            <option value="in_progress">{t('cases.status.in_progress')}</option>
            <option value="closed">{t('cases.status.closed')}</option>
          </select>
        </label>
        <label>
          {t('cases.assignee')}
          <select
            value={c.assigneeId ?? ''}
            onChange={(event) => run(() => cases.update(id, { assigneeId: event.target.value || null }))}
          >
            <option value="">{t('common.none')}</option>
            {assignees.map((person) => (
              <option key={person.id} value={person.id}>
                {person.displayName || person.username}
              </option>
            ))}
          </select>
        </label>
      </div>
      <h2>{t('cases.legalHold')}</h2>
      <p className={c.legalHold ? 'notice' : 'muted'}>
        {c.legalHold
          ? t('cases.heldSince', { who: c.legalHoldBy ?? '', when: dateTime(c.legalHoldAt ?? 0) })
          : t('cases.notHeld')}
      </p>
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          run(
            () => cases.legalHold(id, !c.legalHold, holdReason),
            () => setHoldReason(''),
          );
        }}
      >
        <input
          value={holdReason}
          onChange={(event) => setHoldReason(event.target.value)}
          minLength={5}
          required
          placeholder={t('investigation.reason')}
        />
        <button type="submit">{c.legalHold ? t('cases.releaseHold') : t('cases.placeHold')}</button>
      </form>
      <h2>{t('cases.items')}</h2>
      <table className="data">
        <tbody>
          {detail.items.map((item) => (
            <tr key={item.id}>
              <td>{t(`cases.kind.${item.kind}`)}</td>
              <td className="title-cell">
                {item.kind === 'time_range' && item.from !== null && item.to !== null ? (
                  // A range in the viewer's own time zone, with its seat named.
                  <span data-testid="case-range">
                    <UntrustedText value={seatName(item.seatId)} /> · {dateTime(item.from)} –{' '}
                    {dateTime(item.to)}
                  </span>
                ) : (
                  <UntrustedText value={item.summary} fit="clamp" />
                )}
              </td>
              <td className="text-cell">
                <UntrustedText value={item.note} fit="clamp" />
              </td>
              <td>
                {item.addedBy} · {dateTime(item.addedAt)}
              </td>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={() => run(() => cases.removeItem(id, item.id))}
                >
                  {t('common.remove')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="toolbar wrap" onSubmit={addRange}>
        <SeatPicker
          seats={seats}
          value={range.seatId ? [range.seatId] : []}
          // One seat per range: the latest ticked replaces the one before.
          onChange={(seatIds) => setRange({ ...range, seatId: seatIds[seatIds.length - 1] ?? '' })}
        />
        <label>
          {t('investigation.from')}
          <input
            type="datetime-local"
            value={range.from}
            onChange={(event) => setRange({ ...range, from: event.target.value })}
          />
        </label>
        <label>
          {t('investigation.to')}
          <input
            type="datetime-local"
            value={range.to}
            onChange={(event) => setRange({ ...range, to: event.target.value })}
          />
        </label>
        <button type="submit">{t('cases.addRange')}</button>
      </form>
      <h2>{t('cases.notes')}</h2>
      <ul>
        {detail.notes.map((entry) => (
          <li key={entry.id}>
            <strong>{entry.author}</strong> · {dateTime(entry.createdAt)}
            <p>{entry.body}</p>
          </li>
        ))}
      </ul>
      <form className="toolbar" onSubmit={addNote}>
        <textarea
          aria-label={t('cases.newNote')}
          value={note}
          onChange={(event) => setNote(event.target.value)}
          required
          maxLength={10_000}
        />
        <button type="submit">{t('cases.addNote')}</button>
      </form>
      <h2>{t('cases.export')}</h2>
      <p className="muted small">{t('cases.exportHelp')}</p>
      <div className="toolbar">
        <input
          value={exportReason}
          onChange={(event) => setExportReason(event.target.value)}
          placeholder={t('investigation.reason')}
        />
        <button type="button" className="primary" onClick={() => download.mutate()}>
          {t('cases.downloadBundle')}
        </button>
      </div>
    </section>
  );
}
