/**
 * Sign-in: the password, then the second factor (the account's
 * authenticator, or one it must add first when its role or a project asks
 * for one). Failures of either step count towards the throttle of that
 * name and client IP (sign-in-throttles.service.ts), which lives in the
 * database so every server process sees it.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Db } from '../db/connect.js';
import * as repo from './accounts.repository.js';
import type { DashboardNetworkCheck } from './dashboard-allowlist.service.js';
import { verifyPassword } from './password.argon2.js';
import { totpRequired } from './project-settings.service.js';
import type { SecretBox } from './secret-box.js';
import {
  type AuthenticatedSession,
  type ClientContext,
  openSession,
  promoteSession,
} from './sessions.service.js';
import type { SignInThrottle } from './sign-in-throttles.service.js';
import { checkTotp, newTotpSecret, totpUri } from './totp.otplib.js';

const TOTP_ISSUER = 'Seatwatch';

/** A TOTP key as offered to a person: the key, and the otpauth:// URI their authenticator app scans. */
export function authenticatorOffer(secret: string, username: string) {
  return { secret, uri: totpUri(secret, TOTP_ISSUER, username) };
}

const wrongCredentials = () => new SeatwatchError('unauthorized', 'user name or password is wrong');

/** What the services that check a person's secrets (password, code, setup link) need. */
export interface CredentialDeps {
  readonly db: Db;
  readonly now: () => number;
  readonly secrets: SecretBox;
  readonly network: DashboardNetworkCheck;
}

export type SignInService = ReturnType<typeof createSignInService>;

export function createSignInService(deps: CredentialDeps & { throttle: SignInThrottle }) {
  const { db, secrets, throttle } = deps;

  return {
    /**
     * The password step. An unknown name goes through the same steps as a
     * known one (throttle check, an argon2 verification against a dummy
     * hash, a counted failure), so neither the answer nor its time tells
     * which names exist.
     */
    async login(username: string, password: string, client: ClientContext) {
      await deps.network.check(client.ip);
      const name = username.trim().toLowerCase();
      await throttle.refuseIfThrottled(name, client.ip);
      const user = await repo.findUserByUsername(db, name);
      const ok = await verifyPassword(user?.passwordHash ?? null, password);
      if (!user || !ok || user.disabledAt !== null) {
        await throttle.recordFailure(name, client.ip, 'anonymous');
        throw wrongCredentials();
      }
      const grants = await repo.grantsOf(db, user.id);
      const required = await totpRequired(db, grants);
      const stage = user.totpSecret !== null ? 'totp' : required ? 'totp_setup' : 'full';
      // With a second factor still to come, the pair's failures keep counting until it is given.
      if (stage === 'full') await throttle.clear(name, client.ip);
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
    async verifyTotp(auth: AuthenticatedSession, code: string, ip: string): Promise<string> {
      const { session, user } = auth;
      if (session.stage === 'full') throw new SeatwatchError('conflict', 'already signed in');
      await throttle.refuseIfThrottled(user.username, ip);
      const sealed = session.stage === 'totp' ? user.totpSecret : session.pendingTotpSecret;
      if (!sealed) throw new SeatwatchError('conflict', 'ask for the authenticator key first');
      const check = await checkTotp(secrets.open(sealed), code, deps.now(), user.totpLastStep);
      if (!check.ok) {
        await throttle.recordFailure(user.username, ip, `user:${user.username}`);
        throw new SeatwatchError('unauthorized', 'the code is not valid');
      }
      const token = await db.transaction(async (tx) => {
        await repo.updateUser(tx, user.id, {
          totpLastStep: check.timeStep,
          ...(session.stage === 'totp_setup' ? { totpSecret: sealed } : {}),
        });
        return promoteSession(tx, deps.now(), session, user.id);
      });
      await throttle.clear(user.username, ip);
      return token;
    },
  };
}
