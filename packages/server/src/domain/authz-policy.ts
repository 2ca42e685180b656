/**
 * The one authorization policy: who may do what, where. Pure (no I/O): the
 * route preHandler, list filters and the dashboard's own menus all ask here.
 *
 * A principal holds grants. A grant is a role in a scope:
 * - projectId null: every project (the installation administrator; also what
 *   the admin token for the CLI and automation stands for);
 * - teamId null: the whole project; a team id narrows it to that team's seats.
 * Each action has one scope kind. Team-scoped actions are about seats (and
 * what hangs off a seat); a grant narrowed to a team never reaches anything
 * outside that team, nor seats without a team.
 */

export const ROLES = ['administrator', 'supervisor', 'investigator', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export interface Grant {
  readonly role: Role;
  readonly projectId: string | null;
  readonly teamId: string | null;
}

export interface Principal {
  /** `user`: a dashboard session; `token`: the admin token (CLI, automation). */
  readonly kind: 'user' | 'token';
  readonly id: string;
  readonly grants: readonly Grant[];
}

type ScopeKind = 'installation' | 'project' | 'team';

/**
 * Every action the server checks, with the scope it is decided in and the
 * roles that hold it. Issue #6 defines the roles: administrators do everything
 * in their projects; supervisors see their teams' seats (board, alerts, seat
 * detail, capture now); investigators read timelines, full screenshots and
 * work cases; auditors read the audit log only.
 */
export const ACTIONS = {
  /** Create projects, edit installation-wide settings (dashboard allowlist). */
  'installation.manage': { scope: 'installation', roles: ['administrator'] },
  /** Sites, teams, seats, enrollment tokens, allowlist, policies, rule settings, project settings. */
  'project.manage': { scope: 'project', roles: ['administrator'] },
  /** Read a project's configuration (names of sites and teams come with the board instead). */
  'project.read': { scope: 'project', roles: ['administrator'] },
  /** Create users and change their grants inside the project. */
  'user.manage': { scope: 'project', roles: ['administrator'] },
  'board.read': { scope: 'team', roles: ['administrator', 'supervisor'] },
  'seat.read': { scope: 'team', roles: ['administrator', 'supervisor', 'investigator'] },
  'seat.capture': { scope: 'team', roles: ['administrator', 'supervisor'] },
  'screenshot.thumbnail': { scope: 'team', roles: ['administrator', 'supervisor', 'investigator'] },
  'screenshot.full': { scope: 'team', roles: ['investigator'] },
  'timeline.read': { scope: 'team', roles: ['investigator'] },
  /** Team reports (utilization against the shift, top applications, alerts by rule): no titles, no screenshots. */
  'report.read': { scope: 'team', roles: ['administrator', 'supervisor'] },
  'anomaly.read': { scope: 'team', roles: ['administrator', 'supervisor', 'investigator'] },
  'anomaly.update': { scope: 'team', roles: ['administrator', 'supervisor', 'investigator'] },
  'case.manage': { scope: 'project', roles: ['investigator'] },
  'audit.read': { scope: 'project', roles: ['administrator', 'auditor'] },
} as const satisfies Record<string, { scope: ScopeKind; roles: readonly Role[] }>;

export type Action = keyof typeof ACTIONS;

/** What an action is about. Team-scoped actions take the seat's team (null when it has none). */
export type Resource =
  | { readonly kind: 'installation' }
  | { readonly kind: 'project'; readonly projectId: string }
  | { readonly kind: 'team'; readonly projectId: string; readonly teamId: string | null };

export const INSTALLATION: Resource = Object.freeze({ kind: 'installation' });

function roleHolds(action: Action, role: Role): boolean {
  return (ACTIONS[action].roles as readonly Role[]).includes(role);
}

function grantCovers(grant: Grant, action: Action, resource: Resource): boolean {
  if (!roleHolds(action, grant.role)) return false;
  const scope = ACTIONS[action].scope;
  switch (resource.kind) {
    case 'installation':
      return scope === 'installation' && grant.projectId === null && grant.teamId === null;
    case 'project':
      // Project-wide decisions need a project-wide grant, never a team one.
      return (
        scope !== 'installation' &&
        (grant.projectId === null || grant.projectId === resource.projectId) &&
        grant.teamId === null
      );
    case 'team':
      if (scope !== 'team') return false;
      if (grant.projectId !== null && grant.projectId !== resource.projectId) return false;
      return grant.teamId === null || grant.teamId === resource.teamId;
  }
}

/** The decision. Deny unless a grant covers the action on the resource. */
export function can(principal: Principal | null, action: Action, resource: Resource): boolean {
  if (!principal) return false;
  return principal.grants.some((grant) => grantCovers(grant, action, resource));
}

/** Whether the principal holds the action anywhere at all (to admit list routes, which then filter). */
export function canAnywhere(principal: Principal | null, action: Action): boolean {
  if (!principal) return false;
  return principal.grants.some((grant) => {
    if (!roleHolds(action, grant.role)) return false;
    const scope = ACTIONS[action].scope;
    if (scope === 'installation') return grant.projectId === null && grant.teamId === null;
    if (scope === 'project') return grant.teamId === null;
    return true;
  });
}

/**
 * Where a principal may perform an action, for filtering lists in the
 * database: `all` (every project), or per project either every team or a set
 * of team ids. Seats without a team are visible only with a whole-project scope.
 */
export interface Scope {
  readonly all: boolean;
  readonly projects: ReadonlyMap<string, { readonly allTeams: boolean; readonly teamIds: readonly string[] }>;
}

export function scopeOf(principal: Principal | null, action: Action): Scope {
  const projects = new Map<string, { allTeams: boolean; teamIds: string[] }>();
  let all = false;
  if (!principal) return { all, projects };
  const kind = ACTIONS[action].scope;
  for (const grant of principal.grants) {
    if (!roleHolds(action, grant.role)) continue;
    if (kind !== 'team' && grant.teamId !== null) continue;
    if (grant.projectId === null) {
      if (grant.teamId === null) all = true;
      continue;
    }
    const entry = projects.get(grant.projectId) ?? { allTeams: false, teamIds: [] };
    if (grant.teamId === null) entry.allTeams = true;
    else if (!entry.teamIds.includes(grant.teamId)) entry.teamIds.push(grant.teamId);
    projects.set(grant.projectId, entry);
  }
  return { all, projects };
}

/** The in-memory form of the same decision, for live pushes and already-loaded rows. */
export function inScope(scope: Scope, projectId: string, teamId: string | null): boolean {
  if (scope.all) return true;
  const entry = scope.projects.get(projectId);
  if (!entry) return false;
  return entry.allTeams || (teamId !== null && entry.teamIds.includes(teamId));
}

/**
 * A user account may be changed (password reset, disable, grants) only by
 * someone who manages every project the account has a grant in: otherwise an
 * administrator of one project could lock out the administrator of another.
 * Installation-wide grants can be given or changed by installation administrators only.
 */
export function canManageGrants(principal: Principal | null, grants: readonly Grant[]): boolean {
  if (!principal) return false;
  return grants.every((grant) =>
    grant.projectId === null
      ? can(principal, 'installation.manage', INSTALLATION)
      : can(principal, 'user.manage', { kind: 'project', projectId: grant.projectId }),
  );
}

/** A role whose sign-in always needs a second factor (issue #6). */
export function roleRequiresTotp(role: Role): boolean {
  return role === 'administrator' || role === 'investigator';
}

/**
 * Thumbnails are blurred for supervisors (issue #6) unless the project shows
 * them clear. Whoever also reaches the seat through another role that may
 * see thumbnails (administrator, investigator) sees them clear.
 */
export function thumbnailBlurred(
  principal: Principal,
  resource: Resource,
  projectShowsClear: boolean,
): boolean {
  if (projectShowsClear) return false;
  return !principal.grants.some(
    (grant) => grant.role !== 'supervisor' && grantCovers(grant, 'screenshot.thumbnail', resource),
  );
}
