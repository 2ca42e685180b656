/** Pure board logic: display state, filters, grouping by site and team. */
import type { BoardSeat, BoardSite, BoardTeam, SeatActivityState } from '@seatwatch/shared/dashboard-api';

export type DisplayState = SeatActivityState | 'alert';
export const DISPLAY_STATES: readonly DisplayState[] = [
  'active',
  'idle',
  'locked',
  'offline',
  'silent',
  'alert',
];

/**
 * An open alert outranks whatever the seat is doing: it is what a supervisor
 * must see first. A silent seat stays "silent" though its silence is itself
 * an alert: the more exact word, and never one a reader could take for Active.
 */
export function displayState(seat: BoardSeat): DisplayState {
  if (seat.state === 'silent') return 'silent';
  return seat.openAlerts > 0 ? 'alert' : seat.state;
}

export interface BoardFilter {
  readonly siteId: string;
  readonly teamId: string;
  readonly state: DisplayState | '';
  readonly search: string;
}

export const NO_FILTER: BoardFilter = { siteId: '', teamId: '', state: '', search: '' };

/** Search is a case-insensitive substring over the seat name, host name, operator and application. */
export function matches(seat: BoardSeat, filter: BoardFilter): boolean {
  if (filter.siteId && seat.siteId !== filter.siteId) return false;
  if (filter.teamId && seat.teamId !== filter.teamId) return false;
  if (filter.state && displayState(seat) !== filter.state) return false;
  const needle = filter.search.trim().toLocaleLowerCase();
  if (!needle) return true;
  return [seat.name, seat.hostname, seat.operator, seat.app].some(
    (value) => value?.toLocaleLowerCase().includes(needle) ?? false,
  );
}

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

const byName = (a: { name: string }, b: { name: string }) =>
  a.name.localeCompare(b.name, undefined, { numeric: true });

/** Sites by name (seats without a site last), teams by name inside (no team last), seats by name. */
export function groupSeats(
  seats: readonly BoardSeat[],
  sites: readonly BoardSite[],
  teams: readonly BoardTeam[],
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
      seats: list.sort(byName),
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
