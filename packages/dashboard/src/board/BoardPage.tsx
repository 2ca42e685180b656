import { useQuery } from '@tanstack/react-query';
import { type KeyboardEvent, type MouseEvent, useCallback, useDeferredValue, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { queries } from '../api/queries.js';
import { errorText } from '../app/errors.js';
import { useI18n } from '../i18n/i18n-context.js';
import { useLiveCache } from '../live/use-live-cache.js';
import {
  BOARD_SORTS,
  type BoardFilter,
  COUNT_KEYS,
  type CountKey,
  countStates,
  DEFAULT_SORT,
  groupSeats,
  inPlace,
  isBoardSort,
  isCountKey,
  matches,
  nextTile,
  TILE_KEYS,
  type TileKey,
} from './board-view.js';
import { SeatTile } from './SeatTile.js';

const TILE_SELECTOR = '[data-testid="seat-tile"]';

/**
 * Arrow keys move the focus between tiles (issue #13): left and right in
 * reading order, up and down to the nearest tile of the row above or below.
 * Tiles are links, so Tab reaches each in order and Enter opens one.
 */
function moveFocus(event: KeyboardEvent<HTMLElement>) {
  if (!TILE_KEYS.includes(event.key) || event.altKey || event.ctrlKey || event.metaKey) return;
  const board = event.currentTarget.closest('.board');
  if (!board) return;
  const tiles = [...board.querySelectorAll<HTMLElement>(TILE_SELECTOR)];
  const from = tiles.indexOf(event.currentTarget);
  if (from < 0) return;
  event.preventDefault();
  const places = tiles.map((tile) => tile.getBoundingClientRect());
  tiles[nextTile(places, from, event.key as TileKey)]?.focus();
}

export function BoardPage() {
  const i18n = useI18n();
  const { t } = i18n;
  // Seat patches from the live stream land in this query's data (live/live-cache.ts); the
  // cache's structural sharing keeps unchanged seats' objects, so only changed tiles re-render.
  const live = useLiveCache();
  const { data: board, error } = useQuery({ ...queries.board(), enabled: live });
  // Site, team, state and sort live in the URL, so a filtered board can be bookmarked and shared.
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState('');
  const state = params.get('state');
  const sortParam = params.get('sort');
  const sort = isBoardSort(sortParam) ? sortParam : DEFAULT_SORT;
  const siteParam = params.get('site') ?? '';
  const teamParam = params.get('team') ?? '';
  const stateParam = isCountKey(state) ? state : '';
  // One object per change, not per render: useDeferredValue would re-render forever on a new one each time.
  const filter = useMemo<BoardFilter>(
    () => ({ siteId: siteParam, teamId: teamParam, state: stateParam, search }),
    [siteParam, teamParam, stateParam, search],
  );
  const deferredFilter = useDeferredValue(filter);
  const deferredSort = useDeferredValue(sort);
  const setParam = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value);
      else next.delete(name);
    }
    setParams(next, { replace: true });
  };
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

  const { siteId, teamId } = deferredFilter;
  const counts = useMemo(
    () => (board ? countStates(board.seats.filter((seat) => inPlace(seat, { siteId, teamId }))) : null),
    [board, siteId, teamId],
  );
  const view = useMemo(() => {
    if (!board) return null;
    const shown = board.seats.filter((seat) => matches(seat, deferredFilter));
    return { shown: shown.length, groups: groupSeats(shown, board.sites, board.teams, deferredSort) };
  }, [board, deferredFilter, deferredSort]);

  if (error && !board) return <p className="error">{errorText(i18n, error)}</p>;
  if (!board || !view || !counts) return <p className="muted">{t('common.loading')}</p>;

  const teams = board.teams.filter((team) => !filter.siteId || team.siteId === filter.siteId);
  const multiProject = board.projects.length > 1;
  const projectName = (id: string) => board.projects.find((project) => project.id === id)?.name ?? '';
  const countLabel = (key: CountKey) => (key === 'alert' ? t('board.countAlerts') : t(`state.${key}`));

  return (
    <section className="board">
      <div className="toolbar">
        <h1>{t('board.title')}</h1>
        <select
          aria-label={t('board.filter.site')}
          value={filter.siteId}
          onChange={(event) => setParam({ site: event.target.value, team: '' })}
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
          onChange={(event) => setParam({ team: event.target.value })}
        >
          <option value="">{t('board.filter.allTeams')}</option>
          {teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
        <select
          aria-label={t('board.sort')}
          data-testid="board-sort"
          value={sort}
          onChange={(event) =>
            setParam({ sort: event.target.value === DEFAULT_SORT ? '' : event.target.value })
          }
        >
          {BOARD_SORTS.map((each) => (
            <option key={each} value={each}>
              {t(`board.sort.${each}`)}
            </option>
          ))}
        </select>
        <input
          type="search"
          aria-label={t('board.filter.search')}
          placeholder={t('board.filter.search')}
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        <span className="muted" data-testid="board-count">
          {t('board.count', { shown: view.shown, total: board.seats.length })}
        </span>
      </div>
      {/* Each count is a filter: pressing it shows only those seats, pressing it again shows all. */}
      <fieldset className="state-counts">
        <legend className="sr-only">{t('board.counts')}</legend>
        {COUNT_KEYS.map((key) => (
          <button
            key={key}
            type="button"
            className={`state-count state-${key}`}
            aria-pressed={filter.state === key}
            data-testid="state-count"
            data-state={key}
            onClick={() => setParam({ state: filter.state === key ? '' : key })}
          >
            <span>{countLabel(key)}</span>
            <strong data-testid="state-count-value">{counts[key]}</strong>
          </button>
        ))}
        <span className="muted small">{t('board.keyboardHelp')}</span>
      </fieldset>
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
                  <SeatTile key={seat.id} seat={seat} onOpen={openSeat} onKeyDown={moveFocus} />
                ))}
              </div>
            </div>
          ))}
        </section>
      ))}
    </section>
  );
}
