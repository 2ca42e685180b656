/** The seat picker's search and grouping (pure, so its test needs no JSX). */
import type { TimelineSeat } from '@seatwatch/shared/dashboard-api';

/** How many matches the picker lists at most. */
export const SHOWN = 100;

export interface SeatGroup {
  readonly key: string;
  readonly site: string | null;
  readonly team: string | null;
  readonly seats: readonly TimelineSeat[];
}

/** Seats matching every word of the search (in seat, site or team name), grouped by site then team. */
export function groupSeats(seats: readonly TimelineSeat[], search: string, limit = SHOWN) {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = seats.filter((seat) => {
    const text = `${seat.name} ${seat.siteName ?? ''} ${seat.teamName ?? ''}`.toLowerCase();
    return words.every((word) => text.includes(word));
  });
  const groups = new Map<string, { site: string | null; team: string | null; seats: TimelineSeat[] }>();
  for (const seat of matches.slice(0, limit)) {
    const key = `${seat.siteId ?? ''}|${seat.teamId ?? ''}`;
    const group = groups.get(key) ?? { site: seat.siteName ?? null, team: seat.teamName ?? null, seats: [] };
    group.seats.push(seat);
    groups.set(key, group);
  }
  const sorted = [...groups.entries()]
    .map(([key, group]): SeatGroup => ({ key, ...group }))
    .sort(
      (a, b) =>
        (a.site ?? '\uffff').localeCompare(b.site ?? '\uffff') ||
        (a.team ?? '\uffff').localeCompare(b.team ?? '\uffff'),
    );
  return { groups: sorted, total: matches.length };
}
