/**
 * Where a seat goes when someone moves it (pure): a field left out keeps the
 * seat's current value, null clears it. A team may belong to a site; a seat in
 * such a team must be in that site, and naming only the team takes the seat there.
 */

export interface Placement {
  siteId: string | null;
  teamId: string | null;
}

export interface PlacementChange {
  siteId?: string | null | undefined;
  teamId?: string | null | undefined;
}

/** The seat's new placement, or 'team_elsewhere' when its team belongs to another site. */
export function nextPlacement(
  current: Placement,
  change: PlacementChange,
  /** The site a team of the project belongs to (null: a team of no site, which fits any). */
  siteOfTeam: (teamId: string) => string | null,
): Placement | 'team_elsewhere' {
  const teamId = change.teamId === undefined ? current.teamId : change.teamId;
  const teamSite = teamId === null ? null : siteOfTeam(teamId);
  let siteId: string | null;
  if (change.siteId !== undefined) siteId = change.siteId;
  else if (change.teamId !== undefined && teamSite !== null) siteId = teamSite;
  else siteId = current.siteId;
  if (teamSite !== null && teamSite !== siteId) return 'team_elsewhere';
  return { siteId, teamId };
}
