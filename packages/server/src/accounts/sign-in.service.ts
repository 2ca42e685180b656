/**
 * Sign-in: the password, then the second factor (the account's
 * authenticator, or one it must add first when its role or a project asks
 * for one). Failures of either step count towards the lockout (lockout.ts),
 * whose state lives on the user row so every server process sees it.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Db } from '../db/connect.js';
import * as repo from './accounts.repository.js';
import type { DashboardNetworkCheck } from './dashboard-allowlist.service.js';
import { afterFailure, afterSuccess, isLocked, type LockoutState } from './lockout.js';
import { verifyPassword } from './password.argon2.js';
import { totpRequired } from './project-settings.service.js';
import type { SecretBox } from './secret-box.js';
import {
  type AuthenticatedSession,
  type ClientContext,
  openSession,
  promoteSession,
} from './sessions.service.js';
import { checkTotp, newTotpSecret, totpUri } from './totp.otplib.js';

const TOTP_ISSUER = 'Seatwatch';

/** A TOTP key as offered to a person: the key, and the otpauth:// URI their authenticator app scans. */
export function authenticatorOffer(secret: string, username: string) {
  return { secret, uri: totpUri(secret, TOTP_ISSUER, username) };
}

const wrongCredentials = () => new SeatwatchError('unauthorized', 'user name or password is wrong');

const lockoutOf = (user: repo.UserRecord): LockoutState => ({
  failedAttempts: user.failedAttempts,
  lockedUntil: user.lockedUntil?.getTime() ?? null,
});

const lockoutColumns = (state: LockoutState) => ({
  failedAttempts: state.failedAttempts,
  lockedUntil: state.lockedUntil === null ? null : new Date(state.lockedUntil),
});

/** What the services that check a person's secrets (password, code, setup link) need. */
export interface CredentialDeps {
  readonly db: Db;
  readonly now: () => number;
  readonly secrets: SecretBox;
  readonly network: DashboardNetworkCheck;
}

export type SignInService = ReturnType<typeof createSignInService>;

export function createSignInService(deps: CredentialDeps) {
  const { db, secrets } = deps;

  const recordFailure = async (user: repo.UserRecord) => {
    await repo.updateUser(db, user.id, lockoutColumns(afterFailure(lockoutOf(user), deps.now())));
  };

  const refuseIfLocked = (user: repo.UserRecord) => {
    if (isLocked(lockoutOf(user), deps.now())) {
      throw new SeatwatchError('rate_limited', 'too many failed sign-ins; the account is locked for a while');
    }
  };

  return {
    async login(username: string, password: string, client: ClientContext) {
      await deps.network.check(client.ip);
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
      await repo.updateUser(db, user.id, lockoutColumns(stage === 'full' ? afterSuccess() : lockoutOf(user)));
      return openSession(db, deps.now(), user.id, stage, client);
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
      return authenticatorOffer(secret, auth.user.username);
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
          ...lockoutColumns(afterSuccess()),
        });
        return promoteSession(tx, deps.now(), session, user.id);
      });
    },
  };
}
