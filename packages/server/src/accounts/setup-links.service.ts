/**
 * One-time setup links: a new account's first password (and authenticator),
 * or a reset of a lost one. The link carries a random secret (only its hash
 * is stored) and offers one TOTP key, made when the link is first opened.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Executor } from '../db/connect.js';
import * as repo from './accounts.repository.js';
import { checkPasswordStrength, hashPassword } from './password.argon2.js';
import { totpRequired } from './project-settings.service.js';
import type { SessionEndings } from './session-endings.js';
import { type ClientContext, openSession } from './sessions.service.js';
import { authenticatorOffer, type CredentialDeps } from './sign-in.service.js';
import { hashToken, newSecretToken } from './tokens.js';
import { checkTotp, newTotpSecret } from './totp.otplib.js';

const SETUP_LINK_MS = 7 * 24 * 3_600_000;

/** A new link for the account; it replaces any earlier one that is still open. */
export async function issueSetupLink(
  ex: Executor,
  at: number,
  userId: string,
  createdBy: string,
): Promise<{ token: string; expiresAt: number }> {
  const token = newSecretToken();
  const expiresAt = at + SETUP_LINK_MS;
  await repo.insertSetupLink(
    ex,
    { tokenHash: hashToken(token), userId, expiresAt: new Date(expiresAt), createdBy },
    new Date(at),
  );
  return { token, expiresAt };
}

export type SetupLinkService = ReturnType<typeof createSetupLinkService>;

export function createSetupLinkService(deps: CredentialDeps & { sessionEndings: SessionEndings }) {
  const { db, secrets } = deps;
  const invalid = () => new SeatwatchError('not_found', 'this setup link is not valid');

  /** The open link behind `token`, its account, and the TOTP key it offers (sealed and plain). */
  const openLink = async (token: string) => {
    const link = await repo.findSetupLink(db, hashToken(token));
    if (!link || link.usedAt !== null || link.expiresAt.getTime() <= deps.now()) throw invalid();
    const user = await repo.findUser(db, link.userId);
    if (!user || user.disabledAt !== null) throw invalid();
    let sealed = link.totpSecret;
    if (!sealed) {
      await repo.setSetupLinkTotp(db, link.id, secrets.seal(newTotpSecret()));
      // Two tabs opening the link at once must show the same key: keep whichever was stored first.
      sealed = (await repo.findSetupLink(db, link.tokenHash))!.totpSecret!;
    }
    return {
      link,
      user,
      sealed,
      secret: secrets.open(sealed),
      totpRequired: await totpRequired(db, await repo.grantsOf(db, user.id)),
    };
  };

  return {
    async inspectSetup(token: string) {
      const { user, secret, totpRequired } = await openLink(token);
      return {
        username: user.username,
        displayName: user.displayName,
        totpRequired,
        totp: authenticatorOffer(secret, user.username),
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
      await deps.network.check(client.ip);
      const { link, user, sealed, secret, totpRequired } = await openLink(input.token);
      checkPasswordStrength(input.password);
      let totpLastStep: number | null = null;
      if (input.totpCode) {
        const check = await checkTotp(secret, input.totpCode, deps.now(), null);
        if (!check.ok) throw new SeatwatchError('bad_request', 'the authenticator code is not valid');
        totpLastStep = check.timeStep;
      } else if (totpRequired) {
        throw new SeatwatchError('bad_request', 'this account needs an authenticator code');
      }
      const passwordHash = await hashPassword(input.password);
      const opened = await db.transaction(async (tx) => {
        const at = new Date(deps.now());
        if (!(await repo.consumeSetupLink(tx, link.id, at))) throw invalid();
        await repo.revokeSessions(tx, user.id, null, at);
        await repo.updateUser(tx, user.id, {
          passwordHash,
          totpSecret: input.totpCode ? sealed : null,
          totpLastStep,
        });
        return openSession(tx, deps.now(), user.id, 'full', client);
      });
      deps.sessionEndings.ended(user.id);
      return opened;
    },
  };
}
