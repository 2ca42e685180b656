/**
 * Dashboard accounts for tests, made the way people make them: the admin
 * token creates the user over HTTP and gets a one-time setup link; the
 * "person" opens it, sets a password (and an authenticator when the role
 * needs one) and is signed in with a session cookie and a CSRF token.
 */
import type {
  Grant,
  SessionInfo,
  SetupInspectResponse,
  SetupLinkResponse,
} from '@seatwatch/shared/dashboard-api';
import { generate } from 'otplib';
import { type HttpAnswer, httpJson, type TestServer } from './test-server.js';

/** What these helpers need of a server: an in-process TestServer, or a server process or balancer in front of some. */
export type DashboardEndpoint = Pick<TestServer, 'url' | 'adminOk'>;

export interface SignedIn {
  readonly username: string;
  readonly password: string;
  readonly cookie: string;
  readonly csrf: string;
  /** The authenticator key (base32), when the account has one. */
  readonly totpSecret: string | null;
}

export const TEST_PASSWORD = 'correct horse battery staple';

/**
 * The code an authenticator app shows at `nowMs` (RFC 6238: SHA-1, 6 digits,
 * 30 s), computed on the person's side, apart from the server's own check.
 */
export function authenticatorCode(secret: string, nowMs: number): Promise<string> {
  return generate({ secret, period: 30, epoch: Math.floor(nowMs / 1000) });
}

export function sessionCookie(answer: HttpAnswer): string {
  const header = answer.headers['set-cookie'] ?? [];
  const found = header
    .map((line) => line.split(';')[0]!)
    .find((pair) => pair.startsWith('seatwatch_session='));
  if (!found) throw new Error(`no session cookie in ${JSON.stringify(header)}`);
  return found;
}

export function setupToken(setupUrl: string): string {
  const token = new URL(setupUrl).hash.replace(/^#token=/, '');
  if (!token) throw new Error(`no token in ${setupUrl}`);
  return token;
}

/** Creates a user with these grants through the admin API and completes its setup link. */
export async function createSignedInUser(
  server: DashboardEndpoint,
  username: string,
  grants: Grant[],
  options: { withTotp?: boolean } = {},
): Promise<SignedIn> {
  const created = await server.adminOk<SetupLinkResponse>('POST', '/users', {
    username,
    displayName: username,
    grants,
  });
  return completeSetup(server, username, setupToken(created.setupUrl), options);
}

export async function completeSetup(
  server: DashboardEndpoint,
  username: string,
  token: string,
  options: { withTotp?: boolean } = {},
): Promise<SignedIn> {
  const inspect = await httpJson<SetupInspectResponse>('POST', `${server.url}/api/v1/auth/setup/inspect`, {
    token,
  });
  if (inspect.status !== 200)
    throw new Error(`inspect answered ${inspect.status}: ${JSON.stringify(inspect.body)}`);
  const withTotp = options.withTotp ?? inspect.body.totpRequired;
  const secret = inspect.body.totp.secret;
  const complete = await httpJson<SessionInfo>('POST', `${server.url}/api/v1/auth/setup/complete`, {
    token,
    password: TEST_PASSWORD,
    ...(withTotp ? { totpCode: await authenticatorCode(secret, Date.now()) } : {}),
  });
  if (complete.status !== 200)
    throw new Error(`setup answered ${complete.status}: ${JSON.stringify(complete.body)}`);
  return {
    username,
    password: TEST_PASSWORD,
    cookie: sessionCookie(complete),
    csrf: complete.body.csrfToken!,
    totpSecret: withTotp ? secret : null,
  };
}

/** A request as the signed-in browser makes it: cookie, and the CSRF header on state changes. */
export function asUser<T = unknown>(
  server: DashboardEndpoint,
  who: SignedIn | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = {};
  if (who) {
    headers.cookie = who.cookie;
    if (method !== 'GET') headers['x-csrf-token'] = who.csrf;
  }
  return httpJson<T>(method, `${server.url}${path}`, body, { headers });
}
