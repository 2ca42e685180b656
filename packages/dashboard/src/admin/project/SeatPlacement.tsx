import type { Seat, Site, Team } from '@seatwatch/shared/dashboard-api';
import { SEAT_MOVE_CSV_MAX_CHARS } from '@seatwatch/shared/dashboard-api';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { admin } from '../../api/admin.js';
import { changed } from '../../api/queries.js';
import { Outcome } from '../../app/Outcome.js';
import { UntrustedText } from '../../components/UntrustedText.js';
import { useI18n } from '../../i18n/i18n-context.js';

/**
 * A project's seats, and moving them (issue #13): select one or many and pick
 * a site and team, rename one, or move many by a CSV file. The server checks
 * that a team's seats stay in its site and applies a file wholly or not at all.
 */
export function SeatPlacement({
  projectId,
  seats,
  sites,
  teams,
}: {
  projectId: string;
  seats: readonly Seat[];
  sites: readonly Site[];
  teams: readonly Team[];
}) {
  const { t } = useI18n();
  const client = useQueryClient();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // '' for the site: where the team is (a team of no site: the seats stay where they are).
  const [site, setSite] = useState('');
  const [team, setTeam] = useState('');
  const [newName, setNewName] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [tooLarge, setTooLarge] = useState(false);
  const move = useMutation({
    mutationFn: (send: () => Promise<{ moved: number } | unknown>) => send(),
    onSuccess: (result) => {
      changed.structure(client, projectId);
      const moved = (result as { moved?: unknown }).moved;
      setDone(typeof moved === 'number' ? t('projects.movedCount', { n: moved }) : t('projects.renamed'));
    },
    onError: () => setDone(null),
  });
  const nameOfSite = (id: string | null) => sites.find((s) => s.id === id)?.name ?? t('common.none');
  const nameOfTeam = (id: string | null) => teams.find((s) => s.id === id)?.name ?? t('common.none');
  const toggle = (id: string) =>
    setSelected((now) => {
      const next = new Set(now);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const chosen = seats.filter((seat) => selected.has(seat.id));
  const moveSelected = (event: FormEvent) => {
    event.preventDefault();
    const ids = chosen.map((seat) => seat.id);
    move.mutate(() =>
      admin.moveSeats(projectId, ids, site === '' ? undefined : site === 'none' ? null : site, team || null),
    );
  };
  const rename = (event: FormEvent) => {
    event.preventDefault();
    const [seat] = chosen;
    if (!seat) return;
    move.mutate(() => admin.updateSeat(projectId, seat.id, { name: newName.trim() }), {
      onSuccess: () => setNewName(''),
    });
  };
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setTooLarge(file.size > SEAT_MOVE_CSV_MAX_CHARS);
    if (file.size > SEAT_MOVE_CSV_MAX_CHARS) {
      setDone(null);
      move.reset();
      return;
    }
    const csv = await file.text();
    move.mutate(() => admin.moveSeatsCsv(projectId, csv));
  };

  return (
    <>
      <table className="data">
        <thead>
          <tr>
            <th>{t('projects.name')}</th>
            <th>{t('seat.site')}</th>
            <th>{t('seat.team')}</th>
          </tr>
        </thead>
        <tbody>
          {seats.map((seat) => (
            <tr key={seat.id}>
              <td>
                {/* In the name's cell: the row keeps its three columns (name, site, team). */}
                <input
                  type="checkbox"
                  aria-label={t('projects.selectSeat', { name: seat.name })}
                  checked={selected.has(seat.id)}
                  onChange={() => toggle(seat.id)}
                />
                <UntrustedText value={seat.name} />
              </td>
              <td>{nameOfSite(seat.siteId)}</td>
              <td>{nameOfTeam(seat.teamId)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="row" onSubmit={moveSelected} aria-label={t('projects.moveSelected')}>
        <select aria-label={t('seat.site')} value={site} onChange={(event) => setSite(event.target.value)}>
          <option value="">{t('projects.siteOfTeam')}</option>
          <option value="none">{t('projects.noSite')}</option>
          {sites.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <select aria-label={t('seat.team')} value={team} onChange={(event) => setTeam(event.target.value)}>
          <option value="">{t('projects.noTeam')}</option>
          {teams.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={chosen.length === 0 || move.isPending}>
          {t('projects.moveSelected')} ({chosen.length})
        </button>
      </form>
      <form className="row" onSubmit={rename} aria-label={t('projects.rename')}>
        <input
          aria-label={t('projects.newName')}
          placeholder={t('projects.newName')}
          value={newName}
          onChange={(event) => setNewName(event.target.value)}
          required
          maxLength={200}
        />
        <button type="submit" disabled={chosen.length !== 1 || move.isPending}>
          {t('projects.rename')}
        </button>
      </form>
      <label className="row">
        {t('projects.moveCsv')}
        <input
          type="file"
          accept=".csv,text/csv"
          onChange={(event) => {
            void upload(event.target.files?.[0]);
            event.target.value = '';
          }}
        />
      </label>
      <p className="muted small">{t('projects.moveCsvHelp')}</p>
      {tooLarge ? <p className="error small">{t('projects.moveCsvTooLarge')}</p> : null}
      <Outcome error={move.error} done={done} />
    </>
  );
}
