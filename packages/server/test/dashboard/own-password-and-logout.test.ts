/**
 * Issue #13 through the real HTTP API on PGlite and PostgreSQL: a person
 * changes their own password (current password, and the code when the
 * account has an authenticator), which ends their other sessions and is
 * audited; sign-out needs the session's CSRF token; and the live stream of
 * a session that ends is closed by the server at once, not at its next
 * periodic check.
 */
import http from 'node:http';
import type { AuditPage, SessionInfo } from '@seatwatch/shared/dashboard-api';
import {
  asUser,
  authenticatorCode,
  createSignedInUser,
  type SignedIn,
  sessionCookie,
  TEST_PASSWORD,
} from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  DB_KINDS,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REAUTH_MS } from '../../src/seats/live.routes.js';

const NEW_PASSWORD = 'a different long passphrase';
describe.each(DB_KINDS)('own password and sign-out on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  /** How far the server's clock is ahead of real time. */
  let offset = 0;
  const installation = [{ role: 'administrator' as const, projectId: null, teamId: null }];

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db, now: () => Date.now() + offset });
  }, 120_000);
  // Setup links take codes computed at real time (createSignedInUser): each test starts there.
  afterEach(() => {
    offset = 0;
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  /** A code is accepted once per account: the server's clock moves on to the authenticator's next time step. */
  async function nextCode(secret: string): Promise<string> {
    offset += 30_000;
    return authenticatorCode(secret, Date.now() + offset);
  }

  /** Signs in again with password (and code), as a second browser would. */
  async function signInAgain(who: SignedIn, password: string): Promise<SignedIn> {
    const login = await httpJson<SessionInfo>('POST', `${server.url}/api/v1/auth/login`, {
      username: who.username,
      password,
    });
    expect(login.status).toBe(200);
    let answer = login;
    if (login.body.stage === 'totp') {
      answer = await httpJson<SessionInfo>(
        'POST',
        `${server.url}/api/v1/auth/totp`,
        { code: await nextCode(who.totpSecret!) },
        { headers: { cookie: sessionCookie(login), 'x-csrf-token': login.body.csrfToken! } },
      );
    }
    expect(answer.body.stage).toBe('full');
    return { ...who, password, cookie: sessionCookie(answer), csrf: answer.body.csrfToken! };
  }

  interface LiveStream {
    /** Resolves when the server closes the stream. */
    ended: Promise<void>;
    close(): void;
  }

  /** Opens GET /api/v1/live as the browser would, and waits for its `ready` event. */
  function openLive(who: SignedIn): Promise<LiveStream> {
    return new Promise((resolve, reject) => {
      const request = http.get(
        `${server.url}/api/v1/live`,
        { headers: { cookie: who.cookie } },
        (response) => {
          if (response.statusCode !== 200) return reject(new Error(`live answered ${response.statusCode}`));
          const ended = new Promise<void>((done) => response.on('end', done).on('close', done));
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
            if (text.includes('event: ready')) resolve({ ended, close: () => request.destroy() });
          });
        },
      );
      request.on('error', reject);
    });
  }

  /** How long the server took to close the stream, or null when it had not after `withinMs`. */
  async function closedWithin(stream: LiveStream, withinMs: number): Promise<number | null> {
    const started = Date.now();
    const timeout = new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), withinMs));
    const outcome = await Promise.race([stream.ended.then(() => 'closed' as const), timeout]);
    if (outcome === 'open') {
      stream.close();
      return null;
    }
    return Date.now() - started;
  }

  describe('changing one’s own password', () => {
    it('needs the current password and, with an authenticator, the code; ends the other sessions', async () => {
      const alice = await createSignedInUser(server, 'alice', installation);
      expect(alice.totpSecret).not.toBeNull();
      const elsewhere = await signInAgain(alice, TEST_PASSWORD);
      const change = (body: Record<string, unknown>) =>
        asUser(server, alice, 'POST', '/api/v1/auth/password', body);

      expect(await change({ currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD })).toMatchObject({
        status: 400,
      });
      const code = await authenticatorCode(alice.totpSecret!, Date.now());
      expect(
        await change({ currentPassword: 'not my password', newPassword: NEW_PASSWORD, totpCode: code }),
      ).toMatchObject({ status: 403, body: { error: 'credentials_wrong' } });
      expect(
        await change({
          currentPassword: TEST_PASSWORD,
          newPassword: NEW_PASSWORD,
          totpCode: '000000' === code ? '111111' : '000000',
        }),
      ).toMatchObject({ status: 403, body: { error: 'credentials_wrong' } });
      expect(
        await change({ currentPassword: TEST_PASSWORD, newPassword: 'short', totpCode: code }),
      ).toMatchObject({
        status: 400,
      });
      // Without the CSRF token a cross-site page cannot do it with the cookie alone.
      const forged = await httpJson(
        'POST',
        `${server.url}/api/v1/auth/password`,
        {
          currentPassword: TEST_PASSWORD,
          newPassword: NEW_PASSWORD,
          totpCode: code,
        },
        { headers: { cookie: alice.cookie } },
      );
      expect(forged.status).toBe(403);

      const stream = await openLive(elsewhere);
      const changed = await change({
        currentPassword: TEST_PASSWORD,
        newPassword: NEW_PASSWORD,
        totpCode: await nextCode(alice.totpSecret!),
      });
      expect(changed).toMatchObject({ status: 200, body: { otherSessionsEnded: 1 } });
      expect(await closedWithin(stream, REAUTH_MS / 6)).not.toBeNull();

      // This session goes on; the other one is over; the old password is over too.
      expect((await asUser(server, alice, 'GET', '/api/v1/auth/sessions')).status).toBe(200);
      expect((await asUser(server, elsewhere, 'GET', '/api/v1/auth/sessions')).status).toBe(401);
      expect(
        (
          await httpJson('POST', `${server.url}/api/v1/auth/login`, {
            username: 'alice',
            password: TEST_PASSWORD,
          })
        ).status,
      ).toBe(401);
      await signInAgain(alice, NEW_PASSWORD);

      const audit = await asUser<AuditPage>(
        server,
        alice,
        'GET',
        '/api/v1/investigation/audit?action=auth.password_changed',
      );
      const outcomes = audit.body.entries.map((entry) => [entry.actor, entry.outcome]);
      expect(outcomes).toEqual([
        ['user:alice', 'success'],
        ['user:alice', 'refused'],
        ['user:alice', 'refused'],
      ]);
      expect(JSON.stringify(audit.body.entries)).not.toContain(NEW_PASSWORD);
      expect(JSON.stringify(audit.body.entries)).not.toContain(TEST_PASSWORD);
    }, 90_000);

    it('an account without an authenticator needs only the current password; anonymous callers are refused', async () => {
      const bob = await createSignedInUser(
        server,
        'bob',
        [{ role: 'supervisor', projectId: null, teamId: null }],
        {
          withTotp: false,
        },
      );
      expect(bob.totpSecret).toBeNull();
      const change = (who: SignedIn | null) =>
        asUser(server, who, 'POST', '/api/v1/auth/password', {
          currentPassword: TEST_PASSWORD,
          newPassword: NEW_PASSWORD,
        });
      expect((await change(null)).status).toBe(401);
      expect(await change(bob)).toMatchObject({ status: 200, body: { otherSessionsEnded: 0 } });
    });
  });

  describe('signing out', () => {
    it('needs the CSRF token of the session, and ends its live stream at once', async () => {
      const carol = await createSignedInUser(server, 'carol', installation);
      const stream = await openLive(carol);

      const withoutToken = await httpJson<SessionInfo>(
        'POST',
        `${server.url}/api/v1/auth/logout`,
        undefined,
        {
          headers: { cookie: carol.cookie },
        },
      );
      expect(withoutToken.status).toBe(403);
      const wrongToken = await httpJson<SessionInfo>('POST', `${server.url}/api/v1/auth/logout`, undefined, {
        headers: { cookie: carol.cookie, 'x-csrf-token': 'not-the-token' },
      });
      expect(wrongToken.status).toBe(403);
      expect((await asUser(server, carol, 'GET', '/api/v1/auth/sessions')).status).toBe(200);

      const out = await asUser<SessionInfo>(server, carol, 'POST', '/api/v1/auth/logout');
      expect(out).toMatchObject({ status: 200, body: { stage: 'password', user: null } });
      // REAUTH_MS is the periodic re-check (30 s); the stream must end long before it.
      const took = await closedWithin(stream, REAUTH_MS / 6);
      expect(took).not.toBeNull();
      expect(took!).toBeLessThan(2_000);
      expect((await asUser(server, carol, 'GET', '/api/v1/auth/sessions')).status).toBe(401);
    });

    it('a stale or missing cookie is simply cleared', async () => {
      const stale = await httpJson<SessionInfo>('POST', `${server.url}/api/v1/auth/logout`, undefined, {
        headers: { cookie: 'seatwatch_session=not-a-session' },
      });
      expect(stale.status).toBe(200);
      expect(stale.headers['set-cookie']?.join(';')).toContain('seatwatch_session=;');
    });

    it('an administrator ending someone’s sessions ends their live stream at once', async () => {
      const dave = await createSignedInUser(
        server,
        'dave',
        [{ role: 'supervisor', projectId: null, teamId: null }],
        {
          withTotp: false,
        },
      );
      const root = await createSignedInUser(server, 'root', installation);
      const users = await asUser<Array<{ id: string; username: string }>>(
        server,
        root,
        'GET',
        '/api/v1/admin/users',
      );
      const id = users.body.find((user) => user.username === 'dave')!.id;
      const stream = await openLive(dave);
      expect((await asUser(server, root, 'DELETE', `/api/v1/admin/users/${id}/sessions`)).status).toBe(204);
      expect(await closedWithin(stream, REAUTH_MS / 6)).not.toBeNull();
    });
  });
});
