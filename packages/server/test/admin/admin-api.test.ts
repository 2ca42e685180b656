/**
 * The admin API over real HTTP: the admin token is required, the
 * administration flows work end to end, commands reach a connected agent
 * (and an offline one at its next hello), and the OpenAPI document lists it all.
 */
import { DEFAULT_POLICY } from '@seatwatch/shared';
import {
  connectAgent,
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  enrollTestAgent,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface Named {
  id: string;
  name: string;
}

describe.each(DB_KINDS)('admin API on %s', (kind) => {
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

  it('refuses requests without the admin token', async () => {
    const none = await httpJson('GET', `${server.url}/api/v1/admin/projects`);
    expect(none).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    const wrong = await httpJson('GET', `${server.url}/api/v1/admin/projects`, undefined, {
      headers: { authorization: `Bearer ${server.adminToken}x` },
    });
    expect(wrong.status).toBe(401);
  });

  it('creates projects, sites, teams and seats; names are unique per project; unknown ids are 404', async () => {
    const project = await server.adminOk<Named>('POST', '/projects', { name: 'Lisbon center' });
    expect(await server.admin('POST', '/projects', { name: 'Lisbon center' })).toMatchObject({
      status: 409,
      body: { error: 'conflict' },
    });
    const site = await server.adminOk<Named>('POST', `/projects/${project.id}/sites`, { name: 'Floor 2' });
    const team = await server.adminOk<Named>('POST', `/projects/${project.id}/teams`, {
      name: 'Billing',
      siteId: site.id,
    });
    const seat = await server.adminOk<Named & { siteId: string; teamId: string }>(
      'POST',
      `/projects/${project.id}/seats`,
      { name: 'Desk 1', siteId: site.id, teamId: team.id },
    );
    expect(seat).toMatchObject({ siteId: site.id, teamId: team.id, legalHold: false });
    const held = await server.adminOk('PUT', `/projects/${project.id}/seats/${seat.id}/legal-hold`, {
      hold: true,
      reason: 'complaint 4411',
    });
    expect(held).toMatchObject({ legalHold: true });
    expect(await server.adminOk<Named[]>('GET', `/projects/${project.id}/seats`)).toHaveLength(1);

    expect((await server.admin('GET', '/projects/nope/seats')).status).toBe(404);
    const other = await server.adminOk<Named>('POST', '/projects', { name: 'Other center' });
    expect(
      (await server.admin('POST', `/projects/${other.id}/seats`, { name: 'x', siteId: site.id })).body,
    ).toMatchObject({ error: 'not_found' });
    expect((await server.admin('POST', `/projects/${project.id}/sites`, { name: '' })).status).toBe(400);
  });

  it('answers 400, not 500, to text that PostgreSQL cannot store', async () => {
    expect(await server.admin('POST', '/projects', { name: 'nul\u0000name' })).toMatchObject({
      status: 400,
      body: { error: 'bad_request' },
    });
  });

  it('issues a token once (only its hash is kept), lists and revokes it', async () => {
    const { projectId } = await createTestProject(server);
    const issued = await server.adminOk<{ id: string; token: string; maxUses: number }>(
      'POST',
      `/projects/${projectId}/tokens`,
      { maxUses: 3, label: 'floor 2' },
    );
    expect(issued.token).toMatch(/^swe_[A-Za-z0-9_-]{43}$/);
    const listed = await server.adminOk<Array<Record<string, unknown>>>(
      'GET',
      `/projects/${projectId}/tokens`,
    );
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      id: issued.id,
      label: 'floor 2',
      maxUses: 3,
      uses: 0,
      revokedAt: null,
    });
    expect(JSON.stringify(listed)).not.toContain(issued.token);
    const revoked = await server.adminOk<{ revokedAt: string }>(
      'POST',
      `/projects/${projectId}/tokens/${issued.id}/revoke`,
    );
    expect(revoked.revokedAt).toEqual(expect.any(String));
  });

  it('edits the allowlist with normalised CIDRs', async () => {
    const { projectId } = await createTestProject(server);
    const entry = await server.adminOk<{ id: string; cidr: string }>(
      'POST',
      `/projects/${projectId}/allowlist`,
      {
        cidr: '10.1.2.3/16',
        note: 'HQ',
      },
    );
    expect(entry.cidr).toBe('10.1.0.0/16');
    await server.adminOk('POST', `/projects/${projectId}/allowlist`, { cidr: '2001:db8::1/48' });
    expect(
      (await server.adminOk<Array<{ cidr: string }>>('GET', `/projects/${projectId}/allowlist`)).map(
        (e) => e.cidr,
      ),
    ).toEqual(['10.1.0.0/16', '2001:db8::/48']);
    expect(await server.admin('POST', `/projects/${projectId}/allowlist`, { cidr: 'ten.one' })).toMatchObject(
      {
        status: 400,
        body: { error: 'bad_request' },
      },
    );
    expect((await server.admin('DELETE', `/projects/${projectId}/allowlist/${entry.id}`)).status).toBe(204);
    expect((await server.admin('DELETE', `/projects/${projectId}/allowlist/${entry.id}`)).status).toBe(404);
  });

  it('sends capture_now to a connected agent and records the result it reports', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    const queued = await server.adminOk<{ id: string; status: string }>(
      'POST',
      `/projects/${agent.projectId}/agents/${agent.agentId}/commands`,
      { cmd: 'capture_now' },
    );
    const command = await client.next('command');
    expect(command).toMatchObject({ id: queued.id, cmd: 'capture_now', args: {}, session: client.session });
    client.sendBatch(1, [
      {
        type: 'command_result',
        time: Date.now(),
        commandId: command.id,
        cmd: 'capture_now',
        ok: true,
        message: 'captured 1',
      },
    ]);
    await client.ack(1);
    const [row] = await server.adminOk<Array<{ status: string; resultMessage: string }>>(
      'GET',
      `/projects/${agent.projectId}/agents/${agent.agentId}/commands`,
    );
    expect(row).toMatchObject({ status: 'succeeded', resultMessage: 'captured 1' });
    await client.close();
  });

  it('keeps a command for an offline agent until its next hello', async () => {
    const agent = await enrollTestAgent(server);
    await server.adminOk('POST', `/projects/${agent.projectId}/agents/${agent.agentId}/commands`, {
      cmd: 'capture_now',
    });
    const client = await connectAgent(server, agent);
    expect(await client.next('command')).toMatchObject({ cmd: 'capture_now' });
    await client.close();
  });

  it('pushes a changed policy and notice to connected agents; the notice version moves with its text', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    const policy = { ...DEFAULT_POLICY, screenshotIntervalMs: 60_000 };
    const answer = await server.adminOk<{ notice: { version: number } }>(
      'PUT',
      `/projects/${agent.projectId}/policy`,
      {
        policy,
        noticeText: 'New notice text',
      },
    );
    expect(answer.notice.version).toBe(2);
    const command = await client.next('command');
    expect(command).toMatchObject({
      cmd: 'policy',
      args: { policy, notice: { version: 2, text: 'New notice text' } },
    });
    const same = await server.adminOk<{ notice: { version: number } }>(
      'PUT',
      `/projects/${agent.projectId}/policy`,
      {
        policy,
        noticeText: 'New notice text',
        push: false,
      },
    );
    expect(same.notice.version).toBe(2);
    await client.close();
    const again = await connectAgent(server, agent);
    expect(again.welcome).toMatchObject({ policy, notice: { version: 2 } });
    await again.close();
  });

  it('lists agents with their connection state, and login records', async () => {
    const agent = await enrollTestAgent(server);
    const client = await connectAgent(server, agent);
    const [listed] = await server.adminOk<Array<Record<string, unknown>>>(
      'GET',
      `/projects/${agent.projectId}/agents`,
    );
    expect(listed).toMatchObject({
      id: agent.agentId,
      connected: true,
      status: 'active',
      lastIp: '127.0.0.1',
    });
    const logins = await server.adminOk<Array<{ kind: string; allowed: boolean }>>(
      'GET',
      `/projects/${agent.projectId}/logins?agentId=${agent.agentId}`,
    );
    expect(logins.map((l) => l.kind)).toEqual(['hello', 'enroll']);
    await client.close();
  });

  it('publishes an OpenAPI document of the enrollment and admin routes', async () => {
    const doc = await httpJson<{ openapi: string; paths: Record<string, unknown> }>(
      'GET',
      `${server.url}/api/docs/json`,
    );
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/enroll',
        '/api/v1/admin/projects',
        '/api/v1/admin/projects/{projectId}/tokens',
        '/api/v1/admin/projects/{projectId}/allowlist',
        '/api/v1/admin/projects/{projectId}/agents/{agentId}/commands',
      ]),
    );
  });
});
