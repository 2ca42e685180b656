/** What every /api/v1/admin/** route is given, who made an authorised request, and the site check they share. */
import { SeatwatchError } from '@seatwatch/shared';
import type { AdminAuthorizer } from '../accounts/admin-auth.js';
import type { CommandService } from '../commands/command.service.js';
import type { Db } from '../db/connect.js';
import type { PolicyService } from '../tenancy/policy.service.js';
import type { SeatPlacementService } from '../tenancy/seat-placement.service.js';
import { findSite } from '../tenancy/tenancy.repository.js';

export interface AdminRouteDeps {
  db: Db;
  commands: CommandService;
  authorize: AdminAuthorizer;
  /** Project and site policies, with the installation's minimum retention. */
  policies: PolicyService;
  /** A seat's legal hold changed: the gateway keeps its frames verbatim from now on (cases/held-seats.ts). */
  legalHoldChanged: () => Promise<void>;
  /** Renaming seats and moving them between sites and teams. */
  seatPlacement: SeatPlacementService;
  now: () => number;
}

/** The actor of an authorised admin request. */
export function actorOf(request: { admin: { actor: string } | null }): string {
  if (!request.admin) throw new SeatwatchError('unauthorized');
  return request.admin.actor;
}

/** The site a request names, which must be in the project; null when it names none (the whole project). */
export async function requireSite(
  db: Db,
  projectId: string,
  siteId: string | undefined,
): Promise<string | null> {
  if (siteId === undefined) return null;
  if (!(await findSite(db, projectId, siteId)))
    throw new SeatwatchError('not_found', 'no such site in this project');
  return siteId;
}
