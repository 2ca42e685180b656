/**
 * Dashboard accounts: sign-in (password, then TOTP), sessions, one-time
 * setup links, the first administrator, and account administration. The
 * decisions (lockout, who may manage whom) are pure functions elsewhere;
 * this module sequences them with storage. Clock and randomness come in
 * through deps and tokens.ts.
 */
import { SeatwatchError } from '@seatwatch/shared';
import { eq, inArray } from 'drizzle-orm';
import type { Db, Executor } from '../db/connect.js';
import { projects, teams } from '../db/schema/index.js';
import { decideIp, normalizeCidr } from '../domain/allowlist.js';
import {
  can,
  canAnywhere,
  canManageGrants,
  type Grant,
  INSTALLATION,
  type Principal,
  roleRequiresTotp,
  scopeOf,
} from '../domain/authz-policy.js';
import * as repo from './accounts.repository.js';
import { afterFailure, afterSuccess, isLocked } from './lockout.js';
import { checkPasswordStrength, hashPassword, verifyPassword } from './password.argon2.js';
import type { SecretBox } from './secret-box.js';
import { hashToken, newSecretToken } from './tokens.js';
import { checkTotp, newTotpSecret, totpUri } from './totp.otplib.js';

export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
export const SESSION_IDLE_MS = 2 * 3_600_000;
/** Between the password and the code. */
export const SESSION_PENDING_MS = 5 * 60_000;
export const SETUP_LINK_MS = 7 * 24 * 3_600_000;
const TOUCH_EVERY_MS = 60_000;
const ALLOWLIST_CACHE_MS = 5_000;
const TOTP_ISSUER = 'Seatwatch';
export const FIRST_ADMIN_USERNAME = 'admin';

export interface ClientContext {
  readonly ip: string;
  readonly userAgent: string;
}

export interface AuthenticatedSession {
  readonly principal: Principal;
  readonly user: repo.UserRecord;
  readonly grants: Grant[];
  readonly session: repo.SessionRecord;
}

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  grants: Grant[];
  totpEnabled: boolean;
  pendingSetup: boolean;
  disabled: boolean;
  lockedUntil: number | null;
  lastLoginAt: number | null;
  createdAt: number;
  manageable: boolean;
}

export interface SetupLink {
  user: UserView;
  token: string;
  expiresAt: number;
}

export type AccountService = ReturnType<typeof createAccountService>;

const wrongCredentials = () => new SeatwatchError('unauthorized', 'user name or password is wrong');

export function createAccountService(deps: { db: Db; now: () => number; secrets: SecretBox }) {
  const { db, secrets } = deps;
  const now = () => new Date(deps.now());
  let allowlistCache: { at: number; cidrs: { cidr: string; siteId: null }[] } | null = null;

  const allowlist = async () => {
    const at = deps.now();
    if (!allowlistCache || at - allowlistCache.at > ALLOWLIST_CACHE_MS) {
      const entries = await repo.listDashboardAllowlist(db);
      allowlistCache = { at, cidrs: entries.map(({ cidr }) => ({ cidr, siteId: null })) };
    }
    return allowlistCache.cidrs;
  };

  const checkNetwork = async (ip: string) => {
    if (!decideIp(ip, await allowlist()).allowed) {
      throw new SeatwatchError('ip_not_allowed', 'the dashboard does not accept sign-ins from this network');
    }
  };

  const totpRequired = async (ex: Executor, grants: readonly Grant[]): Promise<boolean> => {
    if (grants.some((grant) => roleRequiresTotp(grant.role))) return true;
    const projectIds = [...new Set(grants.flatMap((grant) => (grant.projectId ? [grant.projectId] : [])))];
    const settings = await repo.projectSettings(ex, projectIds);
    return [...settings.values()].some((each) => each.requireTotp);
  };

  const openSession = async (
    ex: Executor,
    user: repo.UserRecord,
    stage: repo.SessionRecord['stage'],
    client: ClientContext,
  ) => {
    const token = newSecretToken();
    const at = deps.now();
    const session = await repo.insertSession(ex, {
      tokenHash: hashToken(token),
      userId: user.id,
      stage,
      ip: client.ip,
      userAgent: client.userAgent.slice(0, 256),
      lastSeenAt: new Date(at),
      expiresAt: new Date(at + (stage === 'full' ? SESSION_ABSOLUTE_MS : SESSION_PENDING_MS)),
    });
    if (stage === 'full') await repo.updateUser(ex, user.id, { lastLoginAt: new Date(at) });
    return { token, session };
  };

  /** A pending session that reached `full` gets a new secret, so a token seen before the second factor is worth nothing. */
  const promote = async (ex: Executor, session: repo.SessionRecord, userId: string) => {
    const token = newSecretToken();
    const at = deps.now();
    await repo.updateSession(ex, session.id, {
      tokenHash: hashToken(token),
      stage: 'full',
      pendingTotpSecret: null,
      lastSeenAt: new Date(at),
      expiresAt: new Date(at + SESSION_ABSOLUTE_MS),
    });
    await repo.updateUser(ex, userId, { lastLoginAt: new Date(at) });
    return token;
  };

  const recordFailure = async (user: repo.UserRecord) => {
    const next = afterFailure(
      { failedAttempts: user.failedAttempts, lockedUntil: user.lockedUntil?.getTime() ?? null },
      deps.now(),
    );
    await repo.updateUser(db, user.id, {
      failedAttempts: next.failedAttempts,
      lockedUntil: next.lockedUntil === null ? null : new Date(next.lockedUntil),
    });
  };

  const refuseIfLocked = (user: repo.UserRecord) => {
    if (
      isLocked(
        { failedAttempts: user.failedAttempts, lockedUntil: user.lockedUntil?.getTime() ?? null },
        deps.now(),
      )
    ) {
      throw new SeatwatchError('rate_limited', 'too many failed sign-ins; the account is locked for a while');
    }
  };

  const view = (
    user: repo.UserRecord,
    grants: Grant[],
    viewer: Principal | null,
    pendingSetup: boolean,
  ): UserView => ({
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    grants,
    totpEnabled: user.totpSecret !== null,
    pendingSetup,
    disabled: user.disabledAt !== null,
    lockedUntil: user.lockedUntil?.getTime() ?? null,
    lastLoginAt: user.lastLoginAt?.getTime() ?? null,
    createdAt: user.createdAt.getTime(),
    manageable: viewer !== null && canAnywhere(viewer, 'user.manage') && canManageGrants(viewer, grants),
  });

  const issueSetupLink = async (ex: Executor, userId: string, createdBy: string) => {
    const token = newSecretToken();
    const expiresAt = deps.now() + SETUP_LINK_MS;
    await repo.insertSetupLink(
      ex,
      { tokenHash: hashToken(token), userId, expiresAt: new Date(expiresAt), createdBy },
      now(),
    );
    return { token, expiresAt };
  };

  /** Grants must name projects and teams that exist, teams of their own project. */
  const validateGrants = async (ex: Executor, grants: readonly Grant[]): Promise<Grant[]> => {
    const unique = new Map<string, Grant>();
    for (const grant of grants) {
      if (grant.projectId === null && grant.teamId !== null) {
        throw new SeatwatchError('bad_request', 'a team grant must name its project');
      }
      unique.set(`${grant.role}|${grant.projectId}|${grant.teamId}`, grant);
    }
    const list = [...unique.values()];
    const projectIds = [...new Set(list.flatMap((grant) => (grant.projectId ? [grant.projectId] : [])))];
    const teamIds = [...new Set(list.flatMap((grant) => (grant.teamId ? [grant.teamId] : [])))];
    const knownProjects = projectIds.length
      ? new Set(
          (await ex.select({ id: projects.id }).from(projects).where(inArray(projects.id, projectIds))).map(
            (r) => r.id,
          ),
        )
      : new Set<string>();
    const teamProject = new Map(
      teamIds.length
        ? (
            await ex
              .select({ id: teams.id, projectId: teams.projectId })
              .from(teams)
              .where(inArray(teams.id, teamIds))
          ).map((row) => [row.id, row.projectId] as const)
        : [],
    );
    for (const grant of list) {
      if (grant.projectId !== null && !knownProjects.has(grant.projectId)) {
        throw new SeatwatchError('bad_request', 'a grant names a project that does not exist');
      }
      if (grant.teamId !== null && teamProject.get(grant.teamId) !== grant.projectId) {
        throw new SeatwatchError('bad_request', 'a grant names a team that is not in its project');
      }
    }
    return list;
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

  return {
    /**
     * At start: with no account at all, creates the administrator of the
     * installation and returns a one-time setup token for it. While that
     * administrator has not finished setup and holds no open link (it
     * expired), each start makes a new one. Otherwise null.
     */
    async ensureFirstAdministrator(): Promise<{ username: string; token: string; expiresAt: number } | null> {
      return db.transaction(async (tx) => {
        if ((await repo.countUsers(tx)) === 0) {
          const user = await repo.insertUser(tx, {
            username: FIRST_ADMIN_USERNAME,
            displayName: '',
            createdBy: 'first start',
          });
          await repo.replaceGrants(tx, user.id, [{ role: 'administrator', projectId: null, teamId: null }]);
          return { username: user.username, ...(await issueSetupLink(tx, user.id, 'first start')) };
        }
        const first = await repo.findUserByUsername(tx, FIRST_ADMIN_USERNAME);
        if (
          first &&
          first.createdBy === 'first start' &&
          first.passwordHash === null &&
          !(await repo.hasOpenSetupLink(tx, first.id, now()))
        ) {
          return { username: first.username, ...(await issueSetupLink(tx, first.id, 'first start')) };
        }
        return null;
      });
    },

    async login(username: string, password: string, client: ClientContext) {
      await checkNetwork(client.ip);
      const user = await repo.findUserByUsername(db, username.trim().toLowerCase());
      if (user) refuseIfLocked(user);
      const ok = await verifyPassword(user?.passwordHash ?? null, password);
      if (!user || !ok || user.disabledAt !== null) {
        if (user) await recordFailure(user);
        throw wrongCredentials();
      }
      const grants = await repo.grantsOf(db, user.id);
      const required = await totpRequired(db, grants);
      const stage = user.totpSecret !== null ? 'totp' : required ? 'totp_setup' : 'full';
      const afterPassword =
        stage === 'full'
          ? afterSuccess()
          : { failedAttempts: user.failedAttempts, lockedUntil: user.lockedUntil?.getTime() ?? null };
      await repo.updateUser(db, user.id, {
        failedAttempts: afterPassword.failedAttempts,
        lockedUntil: afterPassword.lockedUntil === null ? null : new Date(afterPassword.lockedUntil),
      });
      return openSession(db, user, stage, client);
    },

    /** The TOTP key an account must add before its first full session (stage `totp_setup`). */
    async totpEnrollment(auth: AuthenticatedSession) {
      if (auth.session.stage !== 'totp_setup')
        throw new SeatwatchError('conflict', 'no authenticator to add now');
      let secret: string;
      if (auth.session.pendingTotpSecret) {
        secret = secrets.open(auth.session.pendingTotpSecret);
      } else {
        secret = newTotpSecret();
        await repo.updateSession(db, auth.session.id, { pendingTotpSecret: secrets.seal(secret) });
      }
      return { secret, uri: totpUri(secret, TOTP_ISSUER, auth.user.username) };
    },

    /** Second step: the code from the account's authenticator (or the one being added). Returns the new session token. */
    async verifyTotp(auth: AuthenticatedSession, code: string): Promise<string> {
      const { session, user } = auth;
      if (session.stage === 'full') throw new SeatwatchError('conflict', 'already signed in');
      refuseIfLocked(user);
      const sealed = session.stage === 'totp' ? user.totpSecret : session.pendingTotpSecret;
      if (!sealed) throw new SeatwatchError('conflict', 'ask for the authenticator key first');
      const check = await checkTotp(secrets.open(sealed), code, deps.now(), user.totpLastStep);
      if (!check.ok) {
        await recordFailure(user);
        throw new SeatwatchError('unauthorized', 'the code is not valid');
      }
      return db.transaction(async (tx) => {
        await repo.updateUser(tx, user.id, {
          totpLastStep: check.timeStep,
          ...(session.stage === 'totp_setup' ? { totpSecret: sealed } : {}),
          failedAttempts: 0,
          lockedUntil: null,
        });
        return promote(tx, session, user.id);
      });
    },

    /**
     * The session behind a cookie token, or null when there is none, it
     * ended (revoked, expired, idle too long) or its account is disabled.
     * Sessions are refused from networks off the dashboard allowlist.
     */
    async authenticate(token: string, ip: string): Promise<AuthenticatedSession | null> {
      if (!token || token.length > 100) return null;
      const found = await repo.findSessionByTokenHash(db, hashToken(token));
      if (!found) return null;
      const { session, user } = found;
      const at = deps.now();
      if (
        session.revokedAt !== null ||
        session.expiresAt.getTime() <= at ||
        at - session.lastSeenAt.getTime() > SESSION_IDLE_MS ||
        user.disabledAt !== null
      ) {
        return null;
      }
      await checkNetwork(ip);
      if (at - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
        await repo.updateSession(db, session.id, { lastSeenAt: new Date(at) });
      }
      const grants = await repo.grantsOf(db, user.id);
      return { principal: { kind: 'user', id: user.id, grants }, user, grants, session };
    },

    async logout(auth: AuthenticatedSession): Promise<void> {
      await repo.revokeSessions(db, auth.user.id, auth.session.id, now());
    },

    async sessionsOf(auth: AuthenticatedSession) {
      const rows = await repo.liveSessionsOf(db, auth.user.id, now());
      return rows
        .filter((row) => row.stage === 'full')
        .map((row) => ({
          id: row.id,
          createdAt: row.createdAt.getTime(),
          lastSeenAt: row.lastSeenAt.getTime(),
          ip: row.ip,
          userAgent: row.userAgent,
          current: row.id === auth.session.id,
        }));
    },

    async revokeOwnSession(auth: AuthenticatedSession, sessionId: string): Promise<void> {
      if ((await repo.revokeSessions(db, auth.user.id, sessionId, now())) === 0) {
        throw new SeatwatchError('not_found', 'no such session');
      }
    },

    async inspectSetup(token: string) {
      const link = await repo.findSetupLink(db, hashToken(token));
      if (!link || link.usedAt !== null || link.expiresAt.getTime() <= deps.now()) {
        throw new SeatwatchError('not_found', 'this setup link is not valid');
      }
      const user = await repo.findUser(db, link.userId);
      if (!user || user.disabledAt !== null)
        throw new SeatwatchError('not_found', 'this setup link is not valid');
      let secret: string;
      if (link.totpSecret) {
        secret = secrets.open(link.totpSecret);
      } else {
        secret = newTotpSecret();
        await repo.setSetupLinkTotp(db, link.id, secrets.seal(secret));
        // Two tabs opening the link at once must show the same key: keep whichever was stored first.
        const stored = await repo.findSetupLink(db, link.tokenHash);
        secret = secrets.open(stored!.totpSecret!);
      }
      return {
        link,
        user,
        response: {
          username: user.username,
          displayName: user.displayName,
          totpRequired: await totpRequired(db, await repo.grantsOf(db, user.id)),
          totp: { secret, uri: totpUri(secret, TOTP_ISSUER, user.username) },
        },
      };
    },

    /**
     * Sets the password (and the authenticator when a code is given, or
     * removes it when none is: a setup link also resets a lost one), ends
     * every other session of the account, and signs in.
     */
    async completeSetup(
      input: { token: string; password: string; totpCode?: string | undefined },
      client: ClientContext,
    ) {
      await checkNetwork(client.ip);
      const { link, user, response } = await this.inspectSetup(input.token);
      checkPasswordStrength(input.password);
      let totpLastStep: number | null = null;
      if (input.totpCode) {
        const check = await checkTotp(response.totp.secret, input.totpCode, deps.now(), null);
        if (!check.ok) throw new SeatwatchError('bad_request', 'the authenticator code is not valid');
        totpLastStep = check.timeStep;
      } else if (response.totpRequired) {
        throw new SeatwatchError('bad_request', 'this account needs an authenticator code');
      }
      const passwordHash = await hashPassword(input.password);
      return db.transaction(async (tx) => {
        if (!(await repo.consumeSetupLink(tx, link.id, now()))) {
          throw new SeatwatchError('not_found', 'this setup link is not valid');
        }
        await repo.revokeSessions(tx, user.id, null, now());
        await repo.updateUser(tx, user.id, {
          passwordHash,
          totpSecret: input.totpCode ? link.totpSecret : null,
          totpLastStep,
          failedAttempts: 0,
          lockedUntil: null,
        });
        return openSession(tx, { ...user, passwordHash }, 'full', client);
      });
    },

    async listUsers(viewer: Principal): Promise<UserView[]> {
      if (!canAnywhere(viewer, 'user.manage')) throw new SeatwatchError('forbidden');
      const installation = can(viewer, 'installation.manage', INSTALLATION);
      const scope = scopeOf(viewer, 'user.manage');
      const rows =
        installation || scope.all
          ? await repo.listUsers(db)
          : await repo.listUsersInProjects(db, [...scope.projects.keys()]);
      const grants = await repo.grantsOfUsers(
        db,
        rows.map((row) => row.id),
      );
      const at = now();
      return Promise.all(
        rows.map(async (row) =>
          view(
            row,
            grants.get(row.id) ?? [],
            viewer,
            row.passwordHash === null && (await repo.hasOpenSetupLink(db, row.id, at)),
          ),
        ),
      );
    },

    /** Projects and teams the viewer may grant roles in. */
    async grantOptions(viewer: Principal) {
      if (!canAnywhere(viewer, 'user.manage')) throw new SeatwatchError('forbidden');
      const scope = scopeOf(viewer, 'user.manage');
      const projectRows = scope.all
        ? await db.select({ id: projects.id, name: projects.name }).from(projects).orderBy(projects.name)
        : scope.projects.size
          ? await db
              .select({ id: projects.id, name: projects.name })
              .from(projects)
              .where(inArray(projects.id, [...scope.projects.keys()]))
              .orderBy(projects.name)
          : [];
      const ids = projectRows.map((row) => row.id);
      const teamRows = ids.length
        ? await db
            .select({ id: teams.id, projectId: teams.projectId, name: teams.name })
            .from(teams)
            .where(inArray(teams.projectId, ids))
            .orderBy(teams.name)
        : [];
      return {
        installation: can(viewer, 'installation.manage', INSTALLATION),
        projects: projectRows,
        teams: teamRows,
      };
    },

    async createUser(
      viewer: Principal,
      input: { username: string; displayName: string; grants: readonly Grant[] },
      actor: string,
    ): Promise<SetupLink> {
      if (!canAnywhere(viewer, 'user.manage') || !canManageGrants(viewer, input.grants)) {
        throw new SeatwatchError('forbidden', 'you may grant roles only in projects you administer');
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
        const link = await issueSetupLink(tx, user.id, actor);
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
      if (patch.grants && !canManageGrants(viewer, patch.grants)) {
        throw new SeatwatchError('forbidden', 'you may grant roles only in projects you administer');
      }
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
      const fresh = (await repo.findUser(db, userId))!;
      return view(
        fresh,
        await repo.grantsOf(db, userId),
        viewer,
        fresh.passwordHash === null && (await repo.hasOpenSetupLink(db, userId, now())),
      );
    },

    async newSetupLink(viewer: Principal, userId: string, actor: string): Promise<SetupLink> {
      const { user, grants } = await requireManageable(viewer, userId);
      const link = await issueSetupLink(db, userId, actor);
      return { user: view(user, grants, viewer, user.passwordHash === null), ...link };
    },

    async revokeUserSessions(viewer: Principal, userId: string): Promise<number> {
      await requireManageable(viewer, userId);
      return repo.revokeSessions(db, userId, null, now());
    },

    async dashboardAllowlist(viewer: Principal) {
      if (!can(viewer, 'installation.manage', INSTALLATION)) throw new SeatwatchError('forbidden');
      return repo.listDashboardAllowlist(db);
    },

    /** Replaces the list; refuses one that would lock out the administrator saving it. */
    async saveDashboardAllowlist(
      viewer: Principal,
      entries: readonly { cidr: string; note: string }[],
      ip: string,
    ) {
      if (!can(viewer, 'installation.manage', INSTALLATION)) throw new SeatwatchError('forbidden');
      const normal = new Map<string, { cidr: string; note: string }>();
      for (const entry of entries) {
        const cidr = normalizeCidr(entry.cidr);
        if (!cidr)
          throw new SeatwatchError('bad_request', `not an IP address or CIDR: ${entry.cidr.slice(0, 64)}`);
        normal.set(cidr, { cidr, note: entry.note.trim() });
      }
      const list = [...normal.values()];
      if (
        viewer.kind === 'user' &&
        !decideIp(
          ip,
          list.map(({ cidr }) => ({ cidr, siteId: null })),
        ).allowed
      ) {
        throw new SeatwatchError('conflict', `the list must include your own address (${ip})`);
      }
      await db.transaction((tx) => repo.replaceDashboardAllowlist(tx, list));
      allowlistCache = null;
      return repo.listDashboardAllowlist(db);
    },

    async projectSettings(projectId: string) {
      const settings = await repo.projectSettings(db, [projectId]);
      return settings.get(projectId) ?? repo.DEFAULT_PROJECT_DASHBOARD_SETTINGS;
    },

    async saveProjectSettings(projectId: string, settings: repo.ProjectDashboardSettingsRecord) {
      const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId));
      if (!project) throw new SeatwatchError('not_found', 'no such project');
      await repo.putProjectSettings(db, projectId, settings, now());
      return this.projectSettings(projectId);
    },
  };
}
