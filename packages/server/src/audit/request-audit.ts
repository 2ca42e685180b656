/**
 * Which HTTP requests the audit trail records on its own, decided from the
 * method, the route pattern and the status (pure). Sign-ins are recorded
 * whatever their outcome, one entry each (the sign-in throttle bounds how
 * many a person can make); every other successful state-changing API
 * request is an administrative change. The investigation and self-view
 * routes are not here: they record their own entries, with reasons and
 * targets, in the transaction that serves them.
 *
 * Every other refusal (401, 403, 429), of any route and method, goes to the
 * access records instead (src/access-records/), folded per user, route and
 * minute with a count, so a caller who is refused a thousand times writes
 * two audit entries a minute, not a thousand (issue #11).
 */

export interface RequestFacts {
  method: string;
  /** The route pattern, e.g. /api/v1/admin/projects/:projectId/allowlist */
  route: string;
  status: number;
}

export type RequestAuditKind =
  | { kind: 'sign-in'; action: string; outcome: 'success' | 'refused' }
  | { kind: 'change'; action: 'admin.change'; outcome: 'success' };

const SIGN_IN_ACTIONS: Readonly<Record<string, string>> = {
  'POST /api/v1/auth/login': 'auth.login',
  'POST /api/v1/auth/totp': 'auth.totp',
  'POST /api/v1/auth/totp/enrollment': 'auth.totp_enrollment',
  'POST /api/v1/auth/setup/complete': 'auth.setup',
  'POST /api/v1/auth/logout': 'auth.logout',
  'DELETE /api/v1/auth/sessions/:sessionId': 'auth.session_revoke',
};

/** Routes whose requests change nothing a person decides, or that audit themselves. */
const NOT_HERE = [
  '/api/v1/enroll',
  '/api/v1/investigation/',
  '/api/v1/self-view',
  '/api/v1/auth/setup/inspect',
];
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function classifyRequest(facts: RequestFacts): RequestAuditKind | null {
  const signIn = SIGN_IN_ACTIONS[`${facts.method} ${facts.route}`];
  const outcome = facts.status < 400 ? 'success' : 'refused';
  if (signIn) {
    // A logout without a session, or a server error, says nothing about a person's access; a throttled
    // attempt (429) was not even tried, and its throttle is audited when it starts: both are folded.
    if (facts.status >= 500 || facts.status === 429 || (signIn === 'auth.logout' && outcome === 'refused'))
      return null;
    return { kind: 'sign-in', action: signIn, outcome };
  }
  if (READ_METHODS.has(facts.method) || !facts.route.startsWith('/api/')) return null;
  if (NOT_HERE.some((prefix) => facts.route.startsWith(prefix))) return null;
  if (facts.route.startsWith('/api/v1/auth/')) return null;
  if (facts.status >= 200 && facts.status < 300)
    return { kind: 'change', action: 'admin.change', outcome: 'success' };
  return null;
}

/** Refusals worth an auditor's eye; a 400 or 404 is a typo, not an attempt. */
const REFUSALS = new Set([401, 403, 429]);

/**
 * Whether the access records fold this request as a refusal: a 401, 403
 * or 429 of a route (unmatched URLs have no route to fold on) that the
 * audit trail does not record one by one.
 */
export function isFoldedRefusal(facts: RequestFacts): boolean {
  return REFUSALS.has(facts.status) && classifyRequest(facts) === null;
}
