/** What every /api/v1/admin/** route is given, and who made an authorised request. */
import { SeatwatchError } from '@seatwatch/shared';
import type { AdminAuthorizer } from '../accounts/admin-auth.js';
import type { CommandService } from '../commands/command.service.js';
import type { Db } from '../db/connect.js';

export interface AdminRouteDeps {
  db: Db;
  commands: CommandService;
  authorize: AdminAuthorizer;
  now: () => number;
}

/** The actor of an authorised admin request. */
export function actorOf(request: { admin: { actor: string } | null }): string {
  if (!request.admin) throw new SeatwatchError('unauthorized');
  return request.admin.actor;
}
