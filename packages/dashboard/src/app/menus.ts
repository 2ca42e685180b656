/**
 * Which pages to offer, from the roles the account holds. Only a courtesy:
 * the server checks every request with the authorization policy, whatever
 * the menus show.
 */
import type { Grant } from '@seatwatch/shared/dashboard-api';

export interface Menus {
  readonly board: boolean;
  readonly alerts: boolean;
  readonly admin: boolean;
  readonly investigation: boolean;
  readonly audit: boolean;
  readonly reports: boolean;
}

export function menusFor(grants: readonly Grant[]): Menus {
  const has = (...roles: Grant['role'][]) => grants.some((grant) => roles.includes(grant.role));
  return {
    board: has('administrator', 'supervisor'),
    alerts: has('administrator', 'supervisor', 'investigator'),
    admin: grants.some((grant) => grant.role === 'administrator' && grant.teamId === null),
    investigation: has('investigator'),
    reports: has('administrator', 'supervisor'),
    audit: grants.some(
      (grant) => (grant.role === 'auditor' || grant.role === 'administrator') && grant.teamId === null,
    ),
  };
}
