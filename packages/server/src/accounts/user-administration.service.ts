/**
 * Administration of dashboard accounts: listing them, creating them with a
 * setup link, changing their roles, disabling them, ending their sessions.
 * Who may manage whom is the policy's canManageGrants: a project
 * administrator never touches an account that also holds roles elsewhere.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Db, Executor } from '../db/connect.js';
import {
  can,
  canAnywhere,
  canManageGrants,
  type Grant,
  INSTALLATION,
  type Principal,
  scopeOf,
} from '../domain/authz-policy.js';
import * as repo from './accounts.repository.js';
import type { SessionEndings } from './session-endings.js';
import { issueSetupLink } from './setup-links.service.js';

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  grants: Grant[];
  totpEnabled: boolean;
  pendingSetup: boolean;
  disabled: boolean;
  lastLoginAt: number | null;
  createdAt: number;
  manageable: boolean;
}

export interface SetupLink {
  user: UserView;
  token: string;
  expiresAt: number;
}

function view(user: repo.UserRecord, grants: Grant[], viewer: Principal, pendingSetup: boolean): UserView {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    grants,
    totpEnabled: user.totpSecret !== null,
    pendingSetup,
    disabled: user.disabledAt !== null,
    lastLoginAt: user.lastLoginAt?.getTime() ?? null,
    createdAt: user.createdAt.getTime(),
    manageable: canAnywhere(viewer, 'user.manage') && canManageGrants(viewer, grants),
  };
}

const outsideYourProjects = () =>
  new SeatwatchError('forbidden', 'you may grant roles only in projects you administer');

/** Grants must name projects and teams that exist, teams of their own project; repeats count once. */
async function validateGrants(ex: Executor, grants: readonly Grant[]): Promise<Grant[]> {
  const unique = new Map<string, Grant>();
  for (const grant of grants) {
    if (grant.projectId === null && grant.teamId !== null) {
      throw new SeatwatchError('bad_request', 'a team grant must name its project');
    }
    unique.set(`${grant.role}|${grant.projectId}|${grant.teamId}`, grant);
  }
  const list = [...unique.values()];
  const knownProjects = await repo.existingProjectIds(ex, [
    ...new Set(list.flatMap((grant) => (grant.projectId ? [grant.projectId] : []))),
  ]);
  const teamProject = await repo.projectsOfTeams(ex, [
    ...new Set(list.flatMap((grant) => (grant.teamId ? [grant.teamId] : []))),
  ]);
  for (const grant of list) {
    if (grant.projectId !== null && !knownProjects.has(grant.projectId)) {
      throw new SeatwatchError('bad_request', 'a grant names a project that does not exist');
    }
    if (grant.teamId !== null && teamProject.get(grant.teamId) !== grant.projectId) {
      throw new SeatwatchError('bad_request', 'a grant names a team that is not in its project');
    }
  }
  return list;
}

export type UserAdministrationService = ReturnType<typeof createUserAdministrationService>;

export function createUserAdministrationService(deps: {
  db: Db;
  now: () => number;
  sessionEndings: SessionEndings;
}) {
  const { db } = deps;
  const now = () => new Date(deps.now());

  const requireUserManager = (viewer: Principal) => {
    if (!canAnywhere(viewer, 'user.manage')) throw new SeatwatchError('forbidden');
  };

  const requireManageable = async (viewer: Principal, userId: string) => {
    const user = await repo.findUser(db, userId);
    if (!user) throw new SeatwatchError('not_found', 'no such user');
    const grants = await repo.grantsOf(db, userId);
    if (!canAnywhere(viewer, 'user.manage') || !canManageGrants(viewer, grants)) {
      throw new SeatwatchError('forbidden', 'this account also holds roles outside your projects');
    }
    return { user, grants };
  };

  /** Waiting for its first password, with a link still open to set it. */
  const pendingSetup = async (user: repo.UserRecord) =>
    user.passwordHash === null && (await repo.hasOpenSetupLink(db, user.id, now()));

  return {
    async listUsers(viewer: Principal): Promise<UserView[]> {
      requireUserManager(viewer);
      const scope = scopeOf(viewer, 'user.manage');
      const rows =
        can(viewer, 'installation.manage', INSTALLATION) || scope.all
          ? await repo.listUsers(db)
          : await repo.listUsersInProjects(db, [...scope.projects.keys()]);
      const grants = await repo.grantsOfUsers(
        db,
        rows.map((row) => row.id),
      );
      return Promise.all(
        rows.map(async (row) => view(row, grants.get(row.id) ?? [], viewer, await pendingSetup(row))),
      );
    },

    /** Projects and teams the viewer may grant roles in. */
    async grantOptions(viewer: Principal) {
      requireUserManager(viewer);
      const scope = scopeOf(viewer, 'user.manage');
      const projects = await repo.projectOptions(db, scope.all ? null : [...scope.projects.keys()]);
      return {
        installation: can(viewer, 'installation.manage', INSTALLATION),
        projects,
        teams: await repo.teamOptions(
          db,
          projects.map((project) => project.id),
        ),
      };
    },

    async createUser(
      viewer: Principal,
      input: { username: string; displayName: string; grants: readonly Grant[] },
      actor: string,
    ): Promise<SetupLink> {
      if (!canAnywhere(viewer, 'user.manage') || !canManageGrants(viewer, input.grants)) {
        throw outsideYourProjects();
      }
      const username = input.username.trim().toLowerCase();
      return db.transaction(async (tx) => {
        const grants = await validateGrants(tx, input.grants);
        if (await repo.findUserByUsername(tx, username))
          throw new SeatwatchError('conflict', 'the user name is taken');
        const user = await repo.insertUser(tx, {
          username,
          displayName: input.displayName.trim(),
          createdBy: actor,
        });
        await repo.replaceGrants(tx, user.id, grants);
        const link = await issueSetupLink(tx, deps.now(), user.id, actor);
        return { user: view(user, grants, viewer, true), ...link };
      });
    },

    async updateUser(
      viewer: Principal,
      userId: string,
      patch: {
        displayName?: string | undefined;
        grants?: readonly Grant[] | undefined;
        disabled?: boolean | undefined;
      },
    ): Promise<UserView> {
      const { user } = await requireManageable(viewer, userId);
      if (patch.grants && !canManageGrants(viewer, patch.grants)) throw outsideYourProjects();
      if (patch.disabled && viewer.kind === 'user' && viewer.id === userId) {
        throw new SeatwatchError('conflict', 'you cannot disable your own account');
      }
      await db.transaction(async (tx) => {
        if (patch.grants) await repo.replaceGrants(tx, userId, await validateGrants(tx, patch.grants));
        const changes: Parameters<typeof repo.updateUser>[2] = {};
        if (patch.displayName !== undefined) changes.displayName = patch.displayName.trim();
        if (patch.disabled !== undefined)
          changes.disabledAt = patch.disabled ? (user.disabledAt ?? now()) : null;
        if (Object.keys(changes).length) await repo.updateUser(tx, userId, changes);
        if (patch.disabled) await repo.revokeSessions(tx, userId, null, now());
      });
      if (patch.disabled) deps.sessionEndings.ended(userId);
      const fresh = (await repo.findUser(db, userId))!;
      return view(fresh, await repo.grantsOf(db, userId), viewer, await pendingSetup(fresh));
    },

    async newSetupLink(viewer: Principal, userId: string, actor: string): Promise<SetupLink> {
      const { user, grants } = await requireManageable(viewer, userId);
      const link = await issueSetupLink(db, deps.now(), userId, actor);
      return { user: view(user, grants, viewer, user.passwordHash === null), ...link };
    },

    async revokeUserSessions(viewer: Principal, userId: string): Promise<number> {
      await requireManageable(viewer, userId);
      const revoked = await repo.revokeSessions(db, userId, null, now());
      deps.sessionEndings.ended(userId);
      return revoked;
    },
  };
}
