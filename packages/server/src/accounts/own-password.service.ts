/**
 * A signed-in person changes their own password (issue #13): the current
 * password, and the authenticator's code when the account has one, then a
 * new password; every other session of the account ends. Wrong answers count
 * towards the sign-in throttle of that name and address, so a session left
 * open on a shared computer is no way to guess the password. Audited
 * (`auth.password_changed`, success or refused); the passwords never are.
 */
import { SeatwatchError } from '@seatwatch/shared';
import { recordAudit } from '../audit/audit-log.js';
import type { Db, Executor } from '../db/connect.js';
import * as repo from './accounts.repository.js';
import { checkPasswordStrength, hashPassword, verifyPassword } from './password.argon2.js';
import type { SecretBox } from './secret-box.js';
import type { SessionEndings } from './session-endings.js';
import type { AuthenticatedSession, ClientContext } from './sessions.service.js';
import type { SignInThrottle } from './sign-in-throttles.service.js';
import { checkTotp } from './totp.otplib.js';

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
  totpCode?: string | undefined;
}

export type OwnPasswordService = ReturnType<typeof createOwnPasswordService>;

export function createOwnPasswordService(deps: {
  db: Db;
  now: () => number;
  secrets: SecretBox;
  throttle: SignInThrottle;
  sessionEndings: SessionEndings;
}) {
  const { db, throttle } = deps;
  return {
    /** Returns how many other sessions ended. */
    async changeOwnPassword(
      auth: AuthenticatedSession,
      input: ChangePasswordInput,
      client: ClientContext,
    ): Promise<number> {
      const { user, session } = auth;
      const actor = `user:${user.username}`;
      const audit = (outcome: 'success' | 'refused', details: Record<string, unknown>, ex: Executor = db) =>
        recordAudit(
          ex,
          {
            actor,
            actorId: user.id,
            action: 'auth.password_changed',
            outcome,
            ip: client.ip,
            target: { kind: 'user', id: user.id },
            details,
          },
          deps.now(),
        );
      checkPasswordStrength(input.newPassword);
      // Asked before the password is checked, so a missing code never tells whether the password was right.
      if (user.totpSecret !== null && !input.totpCode) {
        throw new SeatwatchError('bad_request', 'this account needs its authenticator code');
      }
      await throttle.refuseIfThrottled(user.username, client.ip);
      const passwordOk = await verifyPassword(user.passwordHash, input.currentPassword);
      let totpLastStep = user.totpLastStep;
      let codeOk = true;
      if (passwordOk && user.totpSecret !== null) {
        const check = await checkTotp(
          deps.secrets.open(user.totpSecret),
          input.totpCode ?? '',
          deps.now(),
          user.totpLastStep,
        );
        codeOk = check.ok;
        if (check.ok) totpLastStep = check.timeStep;
      }
      if (!passwordOk || !codeOk) {
        await throttle.recordFailure(user.username, client.ip, actor);
        await audit('refused', { reason: 'wrong current password or code' });
        throw new SeatwatchError('credentials_wrong');
      }
      const passwordHash = await hashPassword(input.newPassword);
      const ended = await db.transaction(async (tx) => {
        await repo.updateUser(tx, user.id, { passwordHash, totpLastStep });
        const revoked = await repo.revokeOtherSessions(tx, user.id, session.id, new Date(deps.now()));
        await audit('success', { otherSessionsEnded: revoked.length }, tx);
        return revoked.length;
      });
      await throttle.clear(user.username, client.ip);
      deps.sessionEndings.ended(user.id);
      return ended;
    },
  };
}
