/** POST /api/v1/enroll over real HTTP on each database: success and every refusal. */
import { type EnrollResponse, generateKeyPair, toBase64 } from '@seatwatch/shared';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  type HttpOptions,
  httpJson,
  issueToken,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agents, anomalies, logins, seats } from '../../src/db/schema/index.js';

const HOUR = 3_600_000;

describe.each(DB_KINDS)('enrollment on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const body = (token: string, extra: Record<string, unknown> = {}) => ({
    token,
    publicKey: toBase64(generateKeyPair().publicKey),
    hostname: 'seat-7',
    os: 'linux 6.1',
    osUser: 'operator7',
    agentVersion: '0.1.0',
    ...extra,
  });
  const enroll = (payload: unknown, target: TestServer = server, options: HttpOptions = {}) =>
    httpJson<EnrollResponse & { error?: string; message?: string }>(
      'POST',
      `${target.url}/api/v1/enroll`,
      payload,
      options,
    );

  it('201: creates the seat and the agent, answers with the server key, policy and notice', async () => {
    const { projectId } = await createTestProject(server);
    const { token } = await issueToken(server, projectId);
    const answer = await enroll(body(token, { seat: 'Desk 12' }));
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      projectId,
      serverPublicKey: toBase64(server.serverKeys.publicKey),
      notice: { version: 1 },
    });
    const [agent] = await db.database.db.select().from(agents).where(eq(agents.id, answer.body.agentId));
    expect(agent).toMatchObject({
      status: 'active',
      hostname: 'seat-7',
      osUser: 'operator7',
      enrolledIp: '127.0.0.1',
    });
    const [seat] = await db.database.db.select().from(seats).where(eq(seats.id, agent!.seatId));
    expect(seat!.name).toBe('Desk 12');
    const [login] = await db.database.db.select().from(logins).where(eq(logins.agentId, agent!.id));
    expect(login).toMatchObject({ kind: 'enroll', allowed: true, ip: '127.0.0.1' });
  });

  it('400: a malformed body', async () => {
    const bad = await enroll({ token: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('bad_request');
    const key = await enroll(body('x', { publicKey: 'not base64' }));
    expect(key).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    const raw = await new Promise<number>((resolve, reject) => {
      fetch(`${server.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"token": ',
      }).then((r) => resolve(r.status), reject);
    });
    expect(raw).toBe(400);
  });

  it('401: unknown, used up, revoked and expired tokens', async () => {
    const { projectId } = await createTestProject(server);
    expect((await enroll(body('swe_unknown'))).body).toMatchObject({ error: 'token_invalid' });

    const once = await issueToken(server, projectId, { maxUses: 1 });
    expect((await enroll(body(once.token))).status).toBe(201);
    expect(await enroll(body(once.token))).toMatchObject({ status: 401, body: { error: 'token_invalid' } });

    const revoked = await issueToken(server, projectId, { maxUses: 5 });
    await server.adminOk('POST', `/projects/${projectId}/tokens/${revoked.id}/revoke`);
    expect((await enroll(body(revoked.token))).status).toBe(401);

    const shortLived = await issueToken(server, projectId, { expiresInHours: 1 });
    const later = await startTestServer({
      database: db,
      identity: server.identity,
      now: () => Date.now() + 2 * HOUR,
    });
    try {
      expect(await enroll(body(shortLived.token), later)).toMatchObject({
        status: 401,
        body: { error: 'token_invalid' },
      });
    } finally {
      await later.close();
    }
    expect((await enroll(body(shortLived.token))).status).toBe(201);
  });

  it('403: a caller outside the allowlist (a real socket from 127.0.0.2), stored with one ip_not_allowed anomaly', async () => {
    const { projectId } = await createTestProject(server, { allowlist: ['127.0.0.1/32'] });
    const { token } = await issueToken(server, projectId, { maxUses: 10 });
    for (let i = 0; i < 3; i++) {
      const answer = await enroll(body(token), server, { localAddress: '127.0.0.2' });
      expect(answer).toMatchObject({ status: 403, body: { error: 'ip_not_allowed' } });
    }
    const refused = await db.database.db
      .select()
      .from(logins)
      .where(and(eq(logins.projectId, projectId), eq(logins.allowed, false)));
    expect(refused).toHaveLength(3);
    expect(refused[0]).toMatchObject({
      kind: 'enroll',
      reason: 'ip_not_allowed',
      ip: '127.0.0.2',
      osUser: 'operator7',
    });
    const rows = await db.database.db
      .select()
      .from(anomalies)
      .where(and(eq(anomalies.projectId, projectId), isNull(anomalies.agentId)));
    expect(rows).toMatchObject([{ rule: 'ip_not_allowed', key: '127.0.0.2', count: 3, status: 'open' }]);
    expect((await enroll(body(token), server, { localAddress: '127.0.0.1' })).status).toBe(201);
  });

  it('403: a forged X-Forwarded-For from an untrusted peer does not get past the allowlist', async () => {
    const { projectId } = await createTestProject(server, { allowlist: ['198.51.100.0/24'] });
    const { token } = await issueToken(server, projectId);
    const answer = await enroll(body(token), server, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    expect(answer).toMatchObject({ status: 403, body: { error: 'ip_not_allowed' } });
  });

  it('409: a public key that is enrolled already', async () => {
    const { projectId } = await createTestProject(server);
    const { token } = await issueToken(server, projectId, { maxUses: 2 });
    const payload = body(token);
    expect((await enroll(payload)).status).toBe(201);
    expect(await enroll(payload)).toMatchObject({ status: 409, body: { error: 'conflict' } });
  });

  it('429: too many attempts from one IP', async () => {
    const limited = await startTestServer({
      database: db,
      config: { enrollRateLimit: { max: 3, windowMs: 60_000 } },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await enroll(body('swe_nope'), limited)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      expect((await enroll(body('swe_nope'), limited)).body).toMatchObject({ error: 'rate_limited' });
      // Another IP has its own budget.
      expect((await enroll(body('swe_nope'), limited, { localAddress: '127.0.0.2' })).status).toBe(401);
    } finally {
      await limited.close();
    }
  });
});
