import { useQuery } from '@tanstack/react-query';
import { type MouseEvent, useCallback, useDeferredValue, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import { queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { useI18n } from '../i18n/i18n-context.js';
import { useLiveCache } from '../live/use-live-cache.js';
import { type BoardFilter, DISPLAY_STATES, groupSeats, matches, NO_FILTER } from './board-view.js';
import { SeatTile } from './SeatTile.js';

export function BoardPage() {
  const i18n = useI18n();
  const { t } = i18n;
  // Seat patches from the live stream land in this query's data (live/live-cache.ts); the
  // cache's structural sharing keeps unchanged seats' objects, so only changed tiles re-render.
  const live = useLiveCache();
  const { data: board, error } = useQuery({ ...queries.board(), enabled: live });
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
