/**
 * Password hashing with argon2id through @node-rs/argon2: a maintained Rust
 * binding shipped as prebuilt per-platform packages (no install script, no
 * compiler needed). Parameters are OWASP's argon2id minimum (19 MiB, t=2, p=1),
 * about 50 ms on this machine's cores.
 */
import { hash, verify } from '@node-rs/argon2';
import { SeatwatchError } from '@seatwatch/shared';

// 2 is Algorithm.Argon2id: a const enum, which verbatimModuleSyntax cannot import.
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** Length only (NIST SP 800-63B): composition rules make passwords worse, not better. */
export function checkPasswordStrength(password: string): void {
  const length = Array.from(password).length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw new SeatwatchError(
      'bad_request',
      `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
    );
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

// Verifying against this when the user does not exist keeps the answer time
// the same for unknown and known user names.
const dummyHash = hash('seatwatch timing equaliser', OPTIONS);

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (password.length > PASSWORD_MAX_LENGTH * 4) return false;
  if (passwordHash === null) {
    await verify(await dummyHash, password);
    return false;
  }
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
