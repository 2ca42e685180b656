/** Pure board logic: display state, counts and filters, sort orders, grouping by site and team, arrow-key moves. */
import type { BoardSeat, BoardSite, BoardTeam, SeatActivityState } from '@seatwatch/shared/dashboard-api';

/** The colour of a tile. */
export type DisplayState = SeatActivityState | 'alert';

/**
 * An open alert outranks whatever the seat is doing: it is what a supervisor
 * must see first. A silent seat stays "silent" though its silence is itself
 * an alert: the more exact word, and never one a reader could take for Active.
 */
export function displayState(seat: BoardSeat): DisplayState {
  if (seat.state === 'silent') return 'silent';
  return seat.openAlerts > 0 ? 'alert' : seat.state;
}

/** The counts at the top of the board, each also a filter: a seat's own state, or "has open alerts". */
export type CountKey = SeatActivityState | 'alert';
export const COUNT_KEYS: readonly CountKey[] = ['active', 'idle', 'locked', 'offline', 'silent', 'alert'];

export function isCountKey(value: unknown): value is CountKey {
  return typeof value === 'string' && (COUNT_KEYS as readonly string[]).includes(value);
}

/** Whether the seat is counted under `key`: an idle seat with an alert counts as idle and as with alerts. */
export function countsAs(seat: BoardSeat, key: CountKey): boolean {
  return key === 'alert' ? seat.openAlerts > 0 : seat.state === key;
}

export type StateCounts = Readonly<Record<CountKey, number>>;

export function countStates(seats: readonly BoardSeat[]): StateCounts {
  const counts: Record<CountKey, number> = { active: 0, idle: 0, locked: 0, offline: 0, silent: 0, alert: 0 };
  for (const seat of seats) {
    counts[seat.state]++;
    if (seat.openAlerts > 0) counts.alert++;
  }
  return counts;
}

export interface BoardFilter {
  readonly siteId: string;
  readonly teamId: string;
  readonly state: CountKey | '';
  readonly search: string;
}

export const NO_FILTER: BoardFilter = { siteId: '', teamId: '', state: '', search: '' };

/** Where the seat is: the counts above the board are taken over the seats that pass these. */
export function inPlace(seat: BoardSeat, filter: Pick<BoardFilter, 'siteId' | 'teamId'>): boolean {
  if (filter.siteId && seat.siteId !== filter.siteId) return false;
  return !filter.teamId || seat.teamId === filter.teamId;
}

/**
 * Search is a case-insensitive substring over the seat name, host name, operator (every operator of a
 * shared seat), application and title.
 */
export function matches(seat: BoardSeat, filter: BoardFilter): boolean {
  if (!inPlace(seat, filter)) return false;
  if (filter.state && !countsAs(seat, filter.state)) return false;
  const needle = filter.search.trim().toLocaleLowerCase();
  if (!needle) return true;
  return [seat.name, seat.hostname, seat.operator, ...seat.operators, seat.app, seat.title].some(
    (value) => value?.toLocaleLowerCase().includes(needle) ?? false,
  );
}

export type BoardSort = 'alerts' | 'time' | 'name';
export const BOARD_SORTS: readonly BoardSort[] = ['alerts', 'time', 'name'];
export const DEFAULT_SORT: BoardSort = 'alerts';

export function isBoardSort(value: unknown): value is BoardSort {
  return typeof value === 'string' && (BOARD_SORTS as readonly string[]).includes(value);
}

const SEVERITY_RANK = { low: 1, warning: 2, medium: 3, high: 4, critical: 5 } as const;

const byName = (a: { name: string }, b: { name: string }) =>
  a.name.localeCompare(b.name, undefined, { numeric: true });

/** Seats with open alerts first (the most severe, then the most alerts), the rest by name. */
const byAlerts = (a: BoardSeat, b: BoardSeat) =>
  (b.alertSeverity ? SEVERITY_RANK[b.alertSeverity] : 0) -
    (a.alertSeverity ? SEVERITY_RANK[a.alertSeverity] : 0) ||
  b.openAlerts - a.openAlerts ||
  byName(a, b);

/** Longest in its state first; a seat without a known start last. */
const byTimeInState = (a: BoardSeat, b: BoardSeat) =>
  (a.stateSince ?? Number.POSITIVE_INFINITY) - (b.stateSince ?? Number.POSITIVE_INFINITY) || byName(a, b);

export const SEAT_ORDER: Readonly<Record<BoardSort, (a: BoardSeat, b: BoardSeat) => number>> = {
  alerts: byAlerts,
  time: byTimeInState,
  name: byName,
};

export interface TeamGroup {
  readonly key: string;
  readonly team: BoardTeam | null;
  readonly seats: readonly BoardSeat[];
}

export interface SiteGroup {
  readonly key: string;
  readonly site: BoardSite | null;
  readonly teams: readonly TeamGroup[];
  readonly count: number;
}

/** Sites by name (seats without a site last), teams by name inside (no team last), seats in `sort` order. */
export function groupSeats(
  seats: readonly BoardSeat[],
  sites: readonly BoardSite[],
  teams: readonly BoardTeam[],
  sort: BoardSort = 'name',
): SiteGroup[] {
  const siteById = new Map(sites.map((site) => [site.id, site]));
  const teamById = new Map(teams.map((team) => [team.id, team]));
  const bySite = new Map<string, Map<string, BoardSeat[]>>();
  for (const seat of seats) {
    const siteKey = seat.siteId && siteById.has(seat.siteId) ? seat.siteId : '';
    const teamKey = seat.teamId && teamById.has(seat.teamId) ? seat.teamId : '';
    const teamsOfSite = bySite.get(siteKey) ?? new Map<string, BoardSeat[]>();
    bySite.set(siteKey, teamsOfSite);
    const list = teamsOfSite.get(teamKey) ?? [];
    teamsOfSite.set(teamKey, list);
    list.push(seat);
  }
  const groups: SiteGroup[] = [];
  for (const [siteKey, teamsOfSite] of bySite) {
    const teamGroups: TeamGroup[] = [...teamsOfSite].map(([teamKey, list]) => ({
      key: teamKey,
      team: teamById.get(teamKey) ?? null,
      seats: list.sort(SEAT_ORDER[sort]),
    }));
    teamGroups.sort((a, b) => (!a.team ? 1 : !b.team ? -1 : byName(a.team, b.team)));
    groups.push({
      key: siteKey,
      site: siteById.get(siteKey) ?? null,
      teams: teamGroups,
      count: teamGroups.reduce((sum, group) => sum + group.seats.length, 0),
    });
  }
  return groups.sort((a, b) => (!a.site ? 1 : !b.site ? -1 : byName(a.site, b.site)));
}

export type TileKey = 'ArrowLeft' | 'ArrowRight' | 'ArrowUp' | 'ArrowDown' | 'Home' | 'End';
export const TILE_KEYS: readonly string[] = [
  'ArrowLeft',
  'ArrowRight',
  'ArrowUp',
  'ArrowDown',
  'Home',
  'End',
];

/** Where a tile is drawn (its box's top-left corner, in px). */
export interface TilePlace {
  readonly left: number;
  readonly top: number;
}

/**
 * The tile an arrow key moves to, from the tiles in reading order: left and
 * right step through that order (across rows and groups); up and down go to
 * the nearest row above or below, to the tile closest in column (a shorter
 * row, another team's grid). Stays put at either end.
 */
export function nextTile(places: readonly TilePlace[], from: number, key: TileKey): number {
  const last = places.length - 1;
  if (key === 'Home') return 0;
  if (key === 'End') return last;
  if (key === 'ArrowLeft') return Math.max(0, from - 1);
  if (key === 'ArrowRight') return Math.min(last, from + 1);
  const here = places[from];
  if (!here) return from;
  const down = key === 'ArrowDown';
  // Rows are told apart by a few pixels, so sub-pixel layout differences do not split one row.
  const beyond = (place: TilePlace) => (down ? place.top > here.top + 2 : place.top < here.top - 2);
  let rowTop: number | null = null;
  for (const place of places) {
    if (!beyond(place)) continue;
    if (rowTop === null || (down ? place.top < rowTop : place.top > rowTop)) rowTop = place.top;
  }
  if (rowTop === null) return from;
  const row = rowTop;
  let best = from;
  let bestDistance = Number.POSITIVE_INFINITY;
  places.forEach((place, index) => {
    if (Math.abs(place.top - row) > 2) return;
    const distance = Math.abs(place.left - here.left);
    if (distance < bestDistance) {
      best = index;
      bestDistance = distance;
    }
  });
  return best;
}
