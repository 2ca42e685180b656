/**
 * Bearer secrets (session cookies, one-time setup links): 32 random bytes,
 * base64url. Only their SHA-256 is stored, so a database leak gives no live
 * session; SHA-256 (not argon2) is right here because the secret has 256 bits
 * of entropy and is checked on every request.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
