/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30 s, what every authenticator app
 * understands) through otplib. Replay protection: a code is accepted only for
 * a time step later than the last one accepted for the same user.
 */
import { generate, generateSecret, generateURI, verify } from 'otplib';

const PERIOD_S = 30;
/** One step either side: phones drift, and a code typed at the step boundary still works. */
const TOLERANCE_S = PERIOD_S;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, issuer: string, label: string): string {
  return generateURI({ issuer, label, secret, period: PERIOD_S });
}

export type TotpCheck = { ok: true; timeStep: number } | { ok: false };

export async function checkTotp(
  secret: string,
  code: string,
  nowMs: number,
  lastTimeStep: number | null,
): Promise<TotpCheck> {
  if (!/^\d{6}$/.test(code)) return { ok: false };
  const result = await verify({
    secret,
    token: code,
    period: PERIOD_S,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOLERANCE_S,
    ...(lastTimeStep === null ? {} : { afterTimeStep: lastTimeStep }),
  });
  // The TOTP strategy always reports the matched time step (the HOTP one has none).
  return result.valid && 'timeStep' in result ? { ok: true, timeStep: result.timeStep } : { ok: false };
}

/** The code an authenticator shows at `nowMs` (tests and the CLI's recovery path use it). */
export function totpCodeAt(secret: string, nowMs: number): Promise<string> {
  return generate({ secret, period: PERIOD_S, epoch: Math.floor(nowMs / 1000) });
}
