/**
 * Dashboard sessions: opening one (after the password, a code or a setup
 * link), finding the one behind a cookie, and the caller's own list of them.
 * The cookie holds a random secret; only its hash is stored (tokens.ts).
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Db, Executor } from '../db/connect.js';
import type { Grant, Principal } from '../domain/authz-policy.js';
import * as repo from './accounts.repository.js';
import type { DashboardNetworkCheck } from './dashboard-allowlist.service.js';
import type { SessionEndings } from './session-endings.js';
import { hashToken, newSecretToken } from './tokens.js';

const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
const SESSION_IDLE_MS = 2 * 3_600_000;
/** Between the password and the code. */
const SESSION_PENDING_MS = 5 * 60_000;
/** A session's last-seen time is written at most this often. */
const TOUCH_EVERY_MS = 60_000;

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

/** Opens a session at `stage` and returns its secret token. */
export async function openSession(
  ex: Executor,
  at: number,
  userId: string,
  stage: repo.SessionRecord['stage'],
  client: ClientContext,
): Promise<{ token: string; session: repo.SessionRecord }> {
  const token = newSecretToken();
  const session = await repo.insertSession(ex, {
    tokenHash: hashToken(token),
    userId,
    stage,
    ip: client.ip,
    userAgent: client.userAgent.slice(0, 256),
    lastSeenAt: new Date(at),
    expiresAt: new Date(at + (stage === 'full' ? SESSION_ABSOLUTE_MS : SESSION_PENDING_MS)),
  });
  if (stage === 'full') await repo.updateUser(ex, userId, { lastLoginAt: new Date(at) });
  return { token, session };
}

/** A pending session that reached `full` gets a new secret, so a token seen before the second factor is worth nothing. */
export async function promoteSession(
  ex: Executor,
  at: number,
  session: repo.SessionRecord,
  userId: string,
): Promise<string> {
  const token = newSecretToken();
  await repo.updateSession(ex, session.id, {
    tokenHash: hashToken(token),
    stage: 'full',
    pendingTotpSecret: null,
    lastSeenAt: new Date(at),
    expiresAt: new Date(at + SESSION_ABSOLUTE_MS),
  });
  await repo.updateUser(ex, userId, { lastLoginAt: new Date(at) });
  return token;
}

export type SessionService = ReturnType<typeof createSessionService>;

export function createSessionService(deps: {
  db: Db;
  now: () => number;
  network: DashboardNetworkCheck;
  sessionEndings: SessionEndings;
}) {
  const { db } = deps;
  return {
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
      await deps.network.check(ip);
      if (at - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
        await repo.updateSession(db, session.id, { lastSeenAt: new Date(at) });
      }
      const grants = await repo.grantsOf(db, user.id);
      return { principal: { kind: 'user', id: user.id, grants }, user, grants, session };
    },

    async logout(auth: AuthenticatedSession): Promise<void> {
      await repo.revokeSessions(db, auth.user.id, auth.session.id, new Date(deps.now()));
      deps.sessionEndings.ended(auth.user.id);
    },

    async sessionsOf(auth: AuthenticatedSession) {
      const rows = await repo.liveSessionsOf(db, auth.user.id, new Date(deps.now()));
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
      if ((await repo.revokeSessions(db, auth.user.id, sessionId, new Date(deps.now()))) === 0) {
        throw new SeatwatchError('not_found', 'no such session');
      }
      deps.sessionEndings.ended(auth.user.id);
    },
  };
}
