/**
 * CSRF tokens bound to the session (OWASP's HMAC synchronizer token): the
 * token is an HMAC of the session secret, so the server needs no storage to
 * check it, and a token is worthless with any other session. The browser
 * sends it in the `x-csrf-token` header; a cross-site form cannot set headers
 * and cannot read the token.
 */
import { createHmac } from 'node:crypto';
import { sameSecret } from './tokens.js';

export const CSRF_HEADER = 'x-csrf-token';

export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('seatwatch csrf v1').digest('base64url');
}

export function csrfTokenValid(sessionToken: string, presented: unknown): boolean {
  return typeof presented === 'string' && sameSecret(csrfTokenFor(sessionToken), presented);
}
