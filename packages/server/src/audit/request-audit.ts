/**
 * Which HTTP requests the audit trail records on its own, decided from the
 * method, the route pattern and the status (pure). Sign-ins are recorded
 * whatever their outcome; every other state-changing API request is an
 * administrative change, recorded when it succeeded or was refused. The
 * investigation and self-view routes are not here: they record their own
 * entries, with reasons and targets, in the transaction that serves them.
 */

export interface RequestFacts {
  method: string;
  /** The route pattern, e.g. /api/v1/admin/projects/:projectId/allowlist */
  route: string;
  status: number;
}

export type RequestAuditKind =
  | { kind: 'sign-in'; action: string; outcome: 'success' | 'refused' }
  | { kind: 'change'; action: 'admin.change'; outcome: 'success' | 'refused' };

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
    // A logout without a session, or a server error, says nothing about a person's access.
    if (facts.status >= 500 || (signIn === 'auth.logout' && outcome === 'refused')) return null;
    return { kind: 'sign-in', action: signIn, outcome };
  }
  if (READ_METHODS.has(facts.method) || !facts.route.startsWith('/api/')) return null;
  if (NOT_HERE.some((prefix) => facts.route.startsWith(prefix))) return null;
  if (facts.route.startsWith('/api/v1/auth/')) return null;
  // Refusals worth an auditor's eye are 401/403; a 400 or 404 is a typo, not an attempt.
  if (facts.status >= 200 && facts.status < 300) return { kind: 'change', action: 'admin.change', outcome };
  if (facts.status === 401 || facts.status === 403)
    return { kind: 'change', action: 'admin.change', outcome };
  return null;
}
