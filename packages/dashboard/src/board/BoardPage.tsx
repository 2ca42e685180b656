import type { Board, BoardSeat } from '@seatwatch/shared/dashboard-api';
import { type MouseEvent, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { board as boardApi } from '../api/client.js';
import { errorText } from '../app/errors.js';
import { useI18n } from '../i18n/i18n-context.js';
import { liveStream } from '../live/live-stream.js';
import { type BoardFilter, DISPLAY_STATES, groupSeats, matches, NO_FILTER } from './board-view.js';
import { SeatTile } from './SeatTile.js';

/**
 * The snapshot, then seat patches from the live stream. Patches that arrive
 * together are applied once per animation frame, so a busy floor costs one
 * render per frame, and only the changed tiles re-render (they are memoised).
 */
function useLiveBoard() {
  const [board, setBoard] = useState<Board | null>(null);
  const [error, setError] = useState<unknown>(null);
  const pending = useRef(new Map<string, BoardSeat>());
  const frame = useRef<number | null>(null);
  const known = useRef({ sites: new Set<string>(), teams: new Set<string>() });

  const load = useCallback(async () => {
    try {
      const next = await boardApi.snapshot();
      known.current = {
        sites: new Set(next.sites.map((s) => s.id)),
        teams: new Set(next.teams.map((t) => t.id)),
      };
      // Keep the objects of unchanged seats, so their memoised tiles skip re-rendering.
      setBoard((current) => {
        if (!current) return next;
        const before = new Map(current.seats.map((seat) => [seat.id, seat]));
        const seats = next.seats.map((seat) => {
          const old = before.get(seat.id);
          return old && JSON.stringify(old) === JSON.stringify(seat) ? old : seat;
        });
        return { ...next, seats };
      });
      setError(null);
    } catch (caught) {
      setError(caught);
    }
  }, []);

  useEffect(() => {
    const flush = () => {
      frame.current = null;
      const patches = pending.current;
      pending.current = new Map();
      setBoard((current) => {
        if (!current) return current;
        const seen = new Set<string>();
        const seats = current.seats.map((seat) => {
          const patch = patches.get(seat.id);
          if (!patch) return seat;
          seen.add(seat.id);
          return patch;
        });
        for (const [id, seat] of patches) if (!seen.has(id)) seats.push(seat);
        return { ...current, seats };
      });
    };
    const unsubscribe = liveStream.subscribe({
      open: () => void load(),
      seat: (seat) => {
        // A seat in a site or team made after the snapshot: reload, so it lands in a named group.
        const { sites, teams } = known.current;
        if ((seat.siteId && !sites.has(seat.siteId)) || (seat.teamId && !teams.has(seat.teamId))) {
          void load();
          return;
        }
        pending.current.set(seat.id, seat);
        frame.current ??= requestAnimationFrame(flush);
      },
    });
    return () => {
      unsubscribe();
      if (frame.current !== null) cancelAnimationFrame(frame.current);
    };
  }, [load]);

  return { board, error };
}

export function BoardPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const { board, error } = useLiveBoard();
  const [filter, setFilter] = useState<BoardFilter>(NO_FILTER);
  const deferredFilter = useDeferredValue(filter);
  const navigate = useNavigate();
  const openSeat = useCallback(
    (seatId: string, event: MouseEvent) => {
      // Let the browser handle new-tab and new-window clicks.
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      void navigate(`/seats/${encodeURIComponent(seatId)}`);
    },
    [navigate],
  );

  const view = useMemo(() => {
    if (!board) return null;
    const shown = board.seats.filter((seat) => matches(seat, deferredFilter));
    return { shown: shown.length, groups: groupSeats(shown, board.sites, board.teams) };
  }, [board, deferredFilter]);

  if (error && !board) return <p className="error">{errorText(i18n, error)}</p>;
  if (!board || !view) return <p className="muted">{t('common.loading')}</p>;

  const teams = board.teams.filter((team) => !filter.siteId || team.siteId === filter.siteId);
  const multiProject = board.projects.length > 1;
  const projectName = (id: string) => board.projects.find((project) => project.id === id)?.name ?? '';

  return (
    <section className="board">
      <div className="toolbar">
        <h1>{t('board.title')}</h1>
        <select
          aria-label={t('board.filter.site')}
          value={filter.siteId}
          onChange={(event) => setFilter({ ...filter, siteId: event.target.value, teamId: '' })}
        >
          <option value="">{t('board.filter.allSites')}</option>
          {board.sites.map((site) => (
            <option key={site.id} value={site.id}>
              {multiProject ? `${projectName(site.projectId)} / ${site.name}` : site.name}
            </option>
          ))}
        </select>
        <select
          aria-label={t('board.filter.team')}
          value={filter.teamId}
          onChange={(event) => setFilter({ ...filter, teamId: event.target.value })}
        >
          <option value="">{t('board.filter.allTeams')}</option>
          {teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
        <select
          aria-label={t('board.filter.state')}
          value={filter.state}
          onChange={(event) => setFilter({ ...filter, state: event.target.value as BoardFilter['state'] })}
        >
          <option value="">{t('board.filter.allStates')}</option>
          {DISPLAY_STATES.map((state) => (
            <option key={state} value={state}>
              {t(`state.${state}`)}
            </option>
          ))}
        </select>
        <input
          type="search"
          aria-label={t('board.filter.search')}
          placeholder={t('board.filter.search')}
          value={filter.search}
          onChange={(event) => setFilter({ ...filter, search: event.target.value })}
        />
        <span className="muted" data-testid="board-count">
          {t('board.count', { shown: view.shown, total: board.seats.length })}
        </span>
      </div>
      {board.seats.length === 0 && <p className="muted">{t('board.noSeats')}</p>}
      {board.seats.length > 0 && view.shown === 0 && <p className="muted">{t('board.empty')}</p>}
      {view.groups.map((group) => (
        <section key={group.key} className="site-group">
          <h2>
            {group.site ? group.site.name : t('board.noSite')}
            <span className="muted small"> {t('board.seatCount', { count: group.count })}</span>
          </h2>
          {group.teams.map((teamGroup) => (
            <div key={teamGroup.key} className="team-group">
              <h3>{teamGroup.team ? teamGroup.team.name : t('board.noTeam')}</h3>
              <div className="tiles">
                {teamGroup.seats.map((seat) => (
                  <SeatTile key={seat.id} seat={seat} onOpen={openSeat} />
                ))}
              </div>
            </div>
          ))}
        </section>
      ))}
    </section>
  );
}
