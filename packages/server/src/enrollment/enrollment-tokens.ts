/** Enrollment token secrets: made here, shown once, stored only as their SHA-256. */
import { createHash } from 'node:crypto';
import { randomToken } from '../secrets/secret-files.js';

/** Prefix that makes a leaked token recognisable (secret scanners, logs). */
export const ENROLLMENT_TOKEN_PREFIX = 'swe_';

export function newEnrollmentToken(): string {
  return randomToken(ENROLLMENT_TOKEN_PREFIX);
}

/** Tokens are 256 random bits, so a plain SHA-256 is enough: there is nothing to guess or brute-force. */
export function hashEnrollmentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
