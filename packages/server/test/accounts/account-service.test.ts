/**
 * The composed account service on PGlite and PostgreSQL, driven with a fake
 * clock: the first administrator's link (also when several processes start at once), setup, sign-in with password and
 * TOTP, throttling, sessions, grants, a project that requires TOTP, user
 * administration within a project, and the dashboard's own allowlist.
 * The tests run in order and build on each other's accounts.
 */
import { randomBytes } from 'node:crypto';
import { SeatwatchError } from '@seatwatch/shared';
import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountService, createAccountService } from '../../src/accounts/account.service.js';
import { createSecretBox } from '../../src/accounts/secret-box.js';
import { BASE_DELAY_MS, FREE_FAILURES } from '../../src/accounts/sign-in-throttle.js';
import { totpCodeAt } from '../../src/accounts/totp.otplib.js';
import { projects, teams } from '../../src/db/schema/index.js';
import type { Grant, Principal } from '../../src/domain/authz-policy.js';

const PASSWORD = 'correct horse battery staple';
const HOUR = 3_600_000;
const client = { ip: '192.0.2.10', userAgent: 'test' };
const root: Principal = {
  kind: 'user',
  id: 'root-viewer',
  grants: [{ role: 'administrator', projectId: null, teamId: null }],
};

async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    if (error instanceof SeatwatchError) return error.code;
    throw error;
  }
  return 'accepted';
}

describe.each(DB_KINDS)('account service on %s', (kind) => {
  let db: TestDatabase;
  let clock = Date.UTC(2025, 0, 6, 9, 0, 0);
  let accounts: AccountService;
  const ids = { A: '', B: '', A1: '', B1: '' };
  let adminTotp = '';

  const signIn = async (username: string) => (await accounts.login(username, PASSWORD, client)).token;
  const sessionOf = async (token: string, ip = client.ip) => (await accounts.authenticate(token, ip))!;
  /** Makes a user with a setup link (as the installation administrator) and completes it without an authenticator. */
  const makeUser = async (username: string, grants: Grant[]) => {
    const link = await accounts.createUser(root, { username, displayName: username, grants }, 'test');
    await accounts.completeSetup({ token: link.token, password: PASSWORD }, client);
    return link.user.id;
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    accounts = createAccountService({
      db: db.database.db,
      now: () => clock,
      secrets: createSecretBox(randomBytes(32), 'account secrets'),
    });
    const made = await db.database.db
      .insert(projects)
      .values([{ name: 'A' }, { name: 'B' }])
      .returning();
    ids.A = made[0]!.id;
    ids.B = made[1]!.id;
    const madeTeams = await db.database.db
      .insert(teams)
      .values([
        { projectId: ids.A, name: 'A1' },
        { projectId: ids.B, name: 'B1' },
      ])
      .returning();
    ids.A1 = madeTeams[0]!.id;
    ids.B1 = madeTeams[1]!.id;
  });
  afterAll(async () => {
    await db?.close();
  });

  it('first start makes one administrator with one open link, and a new link once it expired', async () => {
    // Collectors starting together on a fresh database (three in the scale-out test) all ask at once:
    // one makes the administrator and its link, none fails on the other's row.
    const answers = await Promise.all([1, 2, 3, 4].map(() => accounts.ensureFirstAdministrator()));
    const links = answers.filter((answer) => answer !== null);
    expect(links).toHaveLength(1);
    const first = links[0]!;
    expect(first).toMatchObject({ username: 'admin', expiresAt: clock + 7 * 24 * HOUR });
    expect(await accounts.ensureFirstAdministrator()).toBeNull();

    clock += 7 * 24 * HOUR + 1;
    const again = (await accounts.ensureFirstAdministrator())!;
    expect(again.token).not.toBe(first.token);
    expect(await refusal(accounts.inspectSetup(first.token))).toBe('not_found');

    const shown = await accounts.inspectSetup(again.token);
    // Two tabs opening the link show the same key.
    expect((await accounts.inspectSetup(again.token)).totp.secret).toBe(shown.totp.secret);
    expect(shown).toMatchObject({ username: 'admin', totpRequired: true });
    expect(await refusal(accounts.completeSetup({ token: again.token, password: PASSWORD }, client))).toBe(
      'bad_request',
    );

    adminTotp = shown.totp.secret;
    const totpCode = await totpCodeAt(adminTotp, clock);
    const { token } = await accounts.completeSetup(
      { token: again.token, password: PASSWORD, totpCode },
      client,
    );
    expect(await sessionOf(token)).toMatchObject({
      session: { stage: 'full' },
      grants: [{ role: 'administrator', projectId: null, teamId: null }],
    });
    expect(
      await refusal(accounts.completeSetup({ token: again.token, password: PASSWORD, totpCode }, client)),
    ).toBe('not_found');
    expect(await accounts.ensureFirstAdministrator()).toBeNull();
  });

  it('signs in with password then TOTP; the pending token is worth nothing after, and a code counts once', async () => {
    clock += 60_000;
    const pending = await accounts.login(' Admin ', PASSWORD, client);
    const auth = await sessionOf(pending.token);
    expect(auth.session.stage).toBe('totp');
    const code = await totpCodeAt(adminTotp, clock);
    const full = await accounts.verifyTotp(auth, code, client.ip);
    expect(await accounts.authenticate(pending.token, client.ip)).toBeNull();
    expect((await sessionOf(full)).session.stage).toBe('full');

    const replay = await sessionOf(await signIn('admin'));
    expect(await refusal(accounts.verifyTotp(replay, code, client.ip))).toBe('unauthorized');
    expect(await refusal(accounts.login('admin', 'wrong password', client))).toBe('unauthorized');
  });

  it('grants must name projects that exist, and teams of their own project', async () => {
    const create = (grants: Grant[]) =>
      accounts.createUser(root, { username: 'grants', displayName: '', grants }, 'test');
    expect(await refusal(create([{ role: 'supervisor', projectId: 'no-such-project', teamId: null }]))).toBe(
      'bad_request',
    );
    expect(await refusal(create([{ role: 'supervisor', projectId: ids.A, teamId: ids.B1 }]))).toBe(
      'bad_request',
    );
    expect(await refusal(create([{ role: 'supervisor', projectId: null, teamId: ids.A1 }]))).toBe(
      'bad_request',
    );
    const twice: Grant = { role: 'supervisor', projectId: ids.A, teamId: ids.A1 };
    const made = await create([twice, { ...twice }]);
    expect(made.user).toMatchObject({
      username: 'grants',
      grants: [twice],
      pendingSetup: true,
      totpEnabled: false,
    });
    expect(await refusal(create([twice]))).toBe('conflict');
  });

  it('throttles a name from one address with growing waits, never the same name from another', async () => {
    await makeUser('locked', [{ role: 'supervisor', projectId: ids.A, teamId: null }]);
    const attacker = { ip: '198.51.100.66', userAgent: 'attacker' };
    for (let i = 0; i < FREE_FAILURES; i++) {
      expect(await refusal(accounts.login('locked', 'wrong password', attacker))).toBe('unauthorized');
    }
    // Even the right password is not looked at while the pair waits, and an unknown name is treated alike.
    expect(await refusal(accounts.login('locked', PASSWORD, attacker))).toBe('rate_limited');
    for (let i = 0; i < FREE_FAILURES; i++) {
      expect(await refusal(accounts.login('nobody-here', 'wrong password', attacker))).toBe('unauthorized');
    }
    expect(await refusal(accounts.login('nobody-here', PASSWORD, attacker))).toBe('rate_limited');
    // The owner, elsewhere, is not kept out.
    expect((await sessionOf(await signIn('locked'))).session.stage).toBe('full');

    clock += BASE_DELAY_MS;
    expect(await refusal(accounts.login('locked', 'wrong password', attacker))).toBe('unauthorized');
    clock += BASE_DELAY_MS;
    // The wait doubled after that failure.
    expect(await refusal(accounts.login('locked', PASSWORD, attacker))).toBe('rate_limited');
    clock += BASE_DELAY_MS;
    const throttles = await accounts.signInThrottles();
    expect(throttles.map((each) => [each.username, each.ip, each.failures])).toEqual(
      expect.arrayContaining([
        ['locked', attacker.ip, FREE_FAILURES + 1],
        ['nobody-here', attacker.ip, FREE_FAILURES],
      ]),
    );
    expect((await accounts.login('locked', PASSWORD, attacker)).session.stage).toBe('full');
    expect((await accounts.signInThrottles()).map((each) => each.username)).toEqual(['nobody-here']);
  });

  it('an IPv6 client is throttled by its /64, so new addresses in it are no fresh start', async () => {
    const at = (ip: string) => ({ ip, userAgent: 'attacker' });
    for (let i = 0; i < FREE_FAILURES; i++) {
      const ip = `2001:db8:7:7::${i + 1}`;
      expect(await refusal(accounts.login('locked', 'wrong password', at(ip)))).toBe('unauthorized');
    }
    expect(await refusal(accounts.login('locked', PASSWORD, at('2001:db8:7:7:ffff::9')))).toBe(
      'rate_limited',
    );
    expect((await accounts.login('locked', PASSWORD, at('2001:db8:7:8::1'))).session.stage).toBe('full');
    expect((await accounts.signInThrottles()).map((each) => `${each.username}@${each.ip}`)).toContain(
      'locked@2001:db8:7:7::/64',
    );
  });

  it('lists the full sessions, revokes one, signs out, and ends an idle session', async () => {
    const first = await sessionOf(await signIn('locked'));
    const second = await sessionOf(await signIn('locked'));
    const listed = await accounts.sessionsOf(second);
    expect(listed.filter((each) => each.current).map((each) => each.id)).toEqual([second.session.id]);
    expect(listed.map((each) => each.id)).toContain(first.session.id);

    await accounts.revokeOwnSession(second, first.session.id);
    expect((await accounts.sessionsOf(second)).map((each) => each.id)).not.toContain(first.session.id);
    expect(await refusal(accounts.revokeOwnSession(second, first.session.id))).toBe('not_found');

    const token = await signIn('locked');
    await accounts.logout(await sessionOf(token));
    expect(await accounts.authenticate(token, client.ip)).toBeNull();

    const idle = await signIn('locked');
    clock += 2 * HOUR + 1;
    expect(await accounts.authenticate(idle, client.ip)).toBeNull();
  });

  it('a project that requires TOTP has its users add an authenticator at sign-in', async () => {
    expect(await accounts.projectSettings(ids.B)).toEqual({ clearThumbnails: false, requireTotp: false });
    expect(await accounts.saveProjectSettings(ids.B, { clearThumbnails: true, requireTotp: true })).toEqual({
      clearThumbnails: true,
      requireTotp: true,
    });
    expect(
      await refusal(
        accounts.saveProjectSettings('no-such-project', { clearThumbnails: false, requireTotp: false }),
      ),
    ).toBe('not_found');

    const link = await accounts.createUser(
      root,
      { username: 'careful', displayName: '', grants: [{ role: 'auditor', projectId: ids.B, teamId: null }] },
      'test',
    );
    expect((await accounts.inspectSetup(link.token)).totpRequired).toBe(true);
    expect(await refusal(accounts.completeSetup({ token: link.token, password: PASSWORD }, client))).toBe(
      'bad_request',
    );
    // Set up before the project asked for TOTP: the next sign-in adds the authenticator.
    await accounts.saveProjectSettings(ids.B, { clearThumbnails: true, requireTotp: false });
    await accounts.completeSetup({ token: link.token, password: PASSWORD }, client);
    await accounts.saveProjectSettings(ids.B, { clearThumbnails: true, requireTotp: true });

    const pending = await signIn('careful');
    expect((await sessionOf(pending)).session.stage).toBe('totp_setup');
    const offered = await accounts.totpEnrollment(await sessionOf(pending));
    // The key offered stays the same for this session until the code is given.
    expect((await accounts.totpEnrollment(await sessionOf(pending))).secret).toBe(offered.secret);
    const full = await accounts.verifyTotp(
      await sessionOf(pending),
      await totpCodeAt(offered.secret, clock),
      client.ip,
    );
    expect(await refusal(accounts.totpEnrollment(await sessionOf(full)))).toBe('conflict');

    clock += 60_000;
    expect((await sessionOf(await signIn('careful'))).session.stage).toBe('totp');
  });

  it('a project administrator sees and manages only the accounts of its project', async () => {
    const supervisorA = await makeUser('super-a', [{ role: 'supervisor', projectId: ids.A, teamId: ids.A1 }]);
    const adminA: Principal = {
      kind: 'user',
      id: 'admin-a',
      grants: [{ role: 'administrator', projectId: ids.A, teamId: null }],
    };
    const listed = (await accounts.listUsers(adminA)).map((user) => user.username);
    expect(listed).toContain('super-a');
    expect(listed).not.toContain('careful');
    expect(listed).not.toContain('admin');
    expect((await accounts.listUsers(root)).map((user) => user.username)).toContain('careful');

    const options = await accounts.grantOptions(adminA);
    expect(options).toEqual({
      installation: false,
      projects: [{ id: ids.A, name: 'A' }],
      teams: [{ id: ids.A1, projectId: ids.A, name: 'A1' }],
    });
    expect((await accounts.grantOptions(root)).projects.map((project) => project.name)).toEqual(['A', 'B']);

    const careful = (await accounts.listUsers(root)).find((user) => user.username === 'careful')!;
    expect(careful.manageable).toBe(true);
    expect(await refusal(accounts.updateUser(adminA, careful.id, { displayName: 'x' }))).toBe('forbidden');
    expect(await refusal(accounts.revokeUserSessions(adminA, careful.id))).toBe('forbidden');
    expect(
      await refusal(
        accounts.createUser(
          adminA,
          {
            username: 'sneaky',
            displayName: '',
            grants: [{ role: 'auditor', projectId: ids.B, teamId: null }],
          },
          'test',
        ),
      ),
    ).toBe('forbidden');

    const token = await signIn('super-a');
    const renamed = await accounts.updateUser(adminA, supervisorA, { displayName: ' Sue ', disabled: true });
    expect(renamed).toMatchObject({
      displayName: 'Sue',
      disabled: true,
      pendingSetup: false,
      manageable: true,
    });
    expect(await accounts.authenticate(token, client.ip)).toBeNull();
    expect(await refusal(accounts.login('super-a', PASSWORD, client))).toBe('unauthorized');
    await accounts.updateUser(adminA, supervisorA, { disabled: false });
    await signIn('super-a');
    expect(await accounts.revokeUserSessions(adminA, supervisorA)).toBe(1);

    const reset = await accounts.newSetupLink(adminA, supervisorA, 'test');
    expect(reset.user).toMatchObject({ username: 'super-a', pendingSetup: false });
    expect(await accounts.inspectSetup(reset.token)).toMatchObject({
      username: 'super-a',
      totpRequired: false,
    });

    const self: Principal = { kind: 'user', id: supervisorA, grants: adminA.grants };
    expect(await refusal(accounts.updateUser(self, supervisorA, { disabled: true }))).toBe('conflict');
  });

  it('the dashboard allowlist keeps the saving administrator in, and other networks out', async () => {
    const adminA: Principal = {
      kind: 'user',
      id: 'admin-a',
      grants: [{ role: 'administrator', projectId: ids.A, teamId: null }],
    };
    expect(await refusal(accounts.dashboardAllowlist(adminA))).toBe('forbidden');
    expect(await accounts.dashboardAllowlist(root)).toEqual([]);
    expect(
      await refusal(accounts.saveDashboardAllowlist(root, [{ cidr: '10.9.0.0/16', note: '' }], client.ip)),
    ).toBe('conflict');
    expect(
      await refusal(accounts.saveDashboardAllowlist(root, [{ cidr: 'not a network', note: '' }], client.ip)),
    ).toBe('bad_request');

    const saved = await accounts.saveDashboardAllowlist(
      root,
      [
        { cidr: '192.0.2.0/24', note: ' office ' },
        { cidr: '192.0.2.0/24', note: 'again' },
      ],
      client.ip,
    );
    expect(saved).toEqual([{ cidr: '192.0.2.0/24', note: 'again' }]);
    const elsewhere = { ip: '198.51.100.7', userAgent: 'test' };
    expect(await refusal(accounts.login('locked', PASSWORD, elsewhere))).toBe('ip_not_allowed');
    const token = await signIn('locked');
    expect(await refusal(accounts.authenticate(token, elsewhere.ip))).toBe('ip_not_allowed');
    expect((await sessionOf(token)).session.stage).toBe('full');

    expect(await accounts.saveDashboardAllowlist(root, [], client.ip)).toEqual([]);
    expect((await accounts.login('locked', PASSWORD, elsewhere)).session.stage).toBe('full');
  });
});
