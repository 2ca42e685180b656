/**
 * Sign-in throttling through the real HTTP API on PGlite and PostgreSQL
 * (issue #13), as an anonymous attacker would try it: failures on `admin`
 * from one address never keep `admin` out from another; an unknown name gets
 * exactly the answers a known one gets, throttled or not; the waits grow; an
 * installation administrator sees and clears throttles; starts and clears
 * are audited.
 * Client addresses are real: requests leave from 127.0.0.2 and 127.0.0.3.
 * The server's clock is moved forward instead of sleeping.
 */
import type { AuditPage, SessionInfo, SignInThrottle } from '@seatwatch/shared/dashboard-api';
import {
  asUser,
  createSignedInUser,
  type SignedIn,
  TEST_PASSWORD,
} from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  type HttpAnswer,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_DELAY_MS, FREE_FAILURES } from '../../src/accounts/sign-in-throttle.js';

const ATTACKER = '127.0.0.2';
const OWNER = '127.0.0.3';
/** Another attacker's address: each address also has a real-time limit of sign-ins per minute. */
const PROBER = '127.0.0.4';

describe.each(DB_KINDS)('sign-in throttling on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  /** The server's clock: real time until the tests stop it, then moved by hand. */
  let clock: number | null = null;
  const who = {} as Record<'root' | 'admin' | 'adminA', SignedIn>;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db, now: () => clock ?? Date.now() });
    const { projectId } = await createTestProject(server, { name: 'A' });
    const installation = [{ role: 'administrator' as const, projectId: null, teamId: null }];
    who.root = await createSignedInUser(server, 'root', installation);
    who.admin = await createSignedInUser(server, 'admin', installation);
    who.adminA = await createSignedInUser(server, 'admin-a', [
      { role: 'administrator', projectId, teamId: null },
    ]);
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const login = (username: string, password: string, from: string): Promise<HttpAnswer<SessionInfo>> =>
    httpJson<SessionInfo>(
      'POST',
      `${server.url}/api/v1/auth/login`,
      { username, password },
      { localAddress: from },
    );
  const answerOf = (answer: HttpAnswer) => ({ status: answer.status, body: answer.body });

  describe('sign-in throttling', () => {
    it('failures on admin from one address do not stop admin signing in from another', async () => {
      clock = Date.now();
      for (let i = 0; i < FREE_FAILURES; i++) {
        expect((await login('admin', 'not the password', ATTACKER)).status).toBe(401);
      }
      // The right password is not even looked at from the attacker's address now.
      expect((await login('admin', TEST_PASSWORD, ATTACKER)).status).toBe(429);
      const owner = await login('admin', TEST_PASSWORD, OWNER);
      expect(owner.status).toBe(200);
      expect(owner.body.stage).toBe('totp');
    });

    it('an unknown name gets exactly the answers a known one gets, throttled and not', async () => {
      const known: unknown[] = [];
      const unknown: unknown[] = [];
      for (let i = 0; i <= FREE_FAILURES; i++) {
        known.push(answerOf(await login('root', 'not the password', PROBER)));
        unknown.push(answerOf(await login('no-such-person', 'not the password', PROBER)));
      }
      expect(unknown).toEqual(known);
      expect(known.map((answer) => (answer as { status: number }).status)).toEqual([401, 401, 401, 429]);
    });

    it('each further failure doubles the wait, for that address and name only', async () => {
      // admin@ATTACKER failed FREE_FAILURES times at `clock`: the next attempt waits BASE_DELAY_MS.
      let wait = BASE_DELAY_MS;
      const failedAt = [clock!];
      for (let round = 0; round < 3; round++) {
        clock = failedAt.at(-1)! + wait - 1;
        expect((await login('admin', 'still not it', ATTACKER)).status).toBe(429);
        clock += 1;
        expect((await login('admin', 'still not it', ATTACKER)).status).toBe(401);
        failedAt.push(clock);
        wait *= 2;
      }
      expect((await login('admin', TEST_PASSWORD, OWNER)).status).toBe(200);
    });

    it('an installation administrator sees the throttles and clears one; nobody else may', async () => {
      const listed = await asUser<SignInThrottle[]>(
        server,
        who.root,
        'GET',
        '/api/v1/admin/sign-in-throttles',
      );
      expect(listed.status).toBe(200);
      const pairs = listed.body.map((each) => `${each.username}@${each.ip}`).sort();
      expect(pairs).toEqual([`admin@${ATTACKER}`, `no-such-person@${PROBER}`, `root@${PROBER}`]);
      const admin = listed.body.find((each) => each.username === 'admin')!;
      expect(admin.failures).toBe(FREE_FAILURES + 3);
      expect(admin.nextAttemptAt).toBe(clock! + 8 * BASE_DELAY_MS);

      expect((await asUser(server, who.adminA, 'GET', '/api/v1/admin/sign-in-throttles')).status).toBe(403);
      expect((await asUser(server, null, 'GET', '/api/v1/admin/sign-in-throttles')).status).toBe(401);
      const path = `/api/v1/admin/sign-in-throttles/${admin.id}`;
      expect((await asUser(server, who.adminA, 'DELETE', path)).status).toBe(403);
      expect((await asUser(server, null, 'DELETE', path)).status).toBe(401);
      expect((await login('admin', TEST_PASSWORD, ATTACKER)).status).toBe(429);

      expect((await asUser(server, who.root, 'DELETE', path)).status).toBe(204);
      expect((await asUser(server, who.root, 'DELETE', path)).status).toBe(404);
      expect((await login('admin', TEST_PASSWORD, ATTACKER)).status).toBe(200);
      const left = await asUser<SignInThrottle[]>(server, who.root, 'GET', '/api/v1/admin/sign-in-throttles');
      expect(left.body.map((each) => each.username).sort()).toEqual(['no-such-person', 'root']);
    });

    it('every start and every clearing of a throttle is in the audit log', async () => {
      const entries = async (action: string) =>
        (await asUser<AuditPage>(server, who.root, 'GET', `/api/v1/investigation/audit?action=${action}`))
          .body.entries;
      const started = await entries('auth.throttle_started');
      expect(
        started.map((entry) => [entry.details.username, entry.ip, entry.actor, entry.outcome]).sort(),
      ).toEqual([
        ['admin', ATTACKER, 'anonymous', 'refused'],
        ['no-such-person', PROBER, 'anonymous', 'refused'],
        ['root', PROBER, 'anonymous', 'refused'],
      ]);
      const cleared = await entries('auth.throttle_cleared');
      expect(cleared).toHaveLength(1);
      expect(cleared[0]).toMatchObject({
        actor: 'user:root',
        action: 'auth.throttle_cleared',
        details: { username: 'admin', throttledIp: ATTACKER, failures: FREE_FAILURES + 3 },
      });
    });
  });
});
