/**
 * Retention nobody can shorten quietly (issue #11), on each database: the
 * installation's minimum (retention.minimumDays, default 60) holds against a
 * project's administrator and the admin token alike, with the typed error
 * retention_below_minimum; every change of a retention period is in the
 * audit log with its old and new value, refused attempts included; and
 * policies stored below the minimum are raised to it at start, audited.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEntryView, ProjectPolicy } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPage } from '../../src/audit/audit-log.js';
import { configWith } from '../../src/config.js';
import { startServer } from '../../src/startup/startup.js';
import { createPolicyService } from '../../src/tenancy/policy.service.js';

describe.each(DB_KINDS)('the minimum retention on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let projectId: string;
  let projectAdmin: SignedIn;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    projectId = (await createTestProject(server, { name: 'Minimum' })).projectId;
    projectAdmin = await createSignedInUser(server, 'admin-min', [
      { role: 'administrator', projectId, teamId: null },
    ]);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  /** Newest first. */
  const retentionEntries = async (project: string | null = projectId): Promise<AuditEntryView[]> =>
    (
      await auditPage(db.database.db, {
        projectIds: project === null ? null : [project],
        action: 'policy.retention',
        limit: 100,
      })
    ).entries;

  const policyPath = (siteId?: string) =>
    `/api/v1/admin/projects/${projectId}/policy${siteId ? `?siteId=${siteId}` : ''}`;

  async function putRetention(who: SignedIn | 'token', retentionDays: number, extra: object = {}) {
    const current = await server.adminOk<ProjectPolicy>('GET', `/projects/${projectId}/policy`);
    const body = {
      policy: { ...current.policy, retentionDays },
      noticeText: current.notice.text,
      push: false,
      ...extra,
    };
    return who === 'token'
      ? server.admin('PUT', `/projects/${projectId}/policy`, body)
      : asUser(server, who, 'PUT', policyPath(), body);
  }

  const storedRetention = async () =>
    (await server.adminOk<ProjectPolicy>('GET', `/projects/${projectId}/policy`)).policy.retentionDays;

  it('a new project keeps data the default 60 days, and its creation records that retention', async () => {
    expect(await storedRetention()).toBe(60);
    const [created] = await retentionEntries();
    expect(created).toMatchObject({ outcome: 'success', actor: 'admin-token' });
    expect(created!.details).toMatchObject({ siteId: null, from: null, to: 60, minimumDays: 60 });
  });

  it("refuses a project administrator's policy below the minimum, with the typed error, and records the attempt", async () => {
    const answer = await putRetention(projectAdmin, 1);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      error: 'retention_below_minimum',
      message: expect.stringContaining('at least 60 days'),
    });
    expect(await storedRetention()).toBe(60);
    const [attempt] = await retentionEntries();
    expect(attempt).toMatchObject({ outcome: 'refused', actor: 'user:admin-min', projectId });
    expect(attempt!.details).toMatchObject({ from: 60, to: 1, minimumDays: 60 });
  });

  it('refuses the admin token too, for a policy and for a new project', async () => {
    expect((await putRetention('token', 59)).body).toMatchObject({ error: 'retention_below_minimum' });
    const created = await server.admin('POST', '/projects', { name: 'Short lived', retentionDays: 30 });
    expect(created).toMatchObject({ status: 422, body: { error: 'retention_below_minimum' } });
    const projects = await server.adminOk<Array<{ name: string }>>('GET', '/projects');
    expect(projects.map((p) => p.name)).not.toContain('Short lived');
    expect(await storedRetention()).toBe(60);
  });

  it('records every change of the retention with its old and new value, and nothing when it stays', async () => {
    const before = (await retentionEntries()).length;
    expect((await putRetention(projectAdmin, 90)).status).toBe(200);
    expect((await putRetention(projectAdmin, 90, { noticeText: 'A new notice.' })).status).toBe(200);
    expect((await putRetention(projectAdmin, 60)).status).toBe(200);
    const entries = await retentionEntries();
    expect(entries.length).toBe(before + 2);
    expect(entries.slice(0, 2).map((e) => [e.actor, e.outcome, e.details.from, e.details.to])).toEqual([
      ['user:admin-min', 'success', 90, 60],
      ['user:admin-min', 'success', 60, 90],
    ]);
  });

  it("holds for a site's policy too", async () => {
    const site = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/sites`, {
      name: 'North',
    });
    const current = await server.adminOk<ProjectPolicy>('GET', `/projects/${projectId}/policy`);
    const put = (retentionDays: number) =>
      asUser(server, projectAdmin, 'PUT', policyPath(), {
        siteId: site.id,
        policy: { ...current.policy, retentionDays },
        noticeText: current.notice.text,
        push: false,
      });
    expect((await put(7)).status).toBe(422);
    expect((await put(120)).status).toBe(200);
    const [changed] = await retentionEntries();
    expect(changed).toMatchObject({ target: { kind: 'site-policy', id: site.id } });
    expect(changed!.details).toMatchObject({ siteId: site.id, from: 60, to: 120 });
  });

  it('raises stored policies below a higher minimum to it, once, as the system, and never lowers one', async () => {
    const other = await createTestProject(server, { name: 'Long kept', retentionDays: 400 });
    const raise = createPolicyService({ db: db.database.db, minimumRetentionDays: 100, now: Date.now });
    const raised = await raise.raiseRetentionsToMinimum();
    expect(raised).toEqual(expect.arrayContaining([{ projectId, siteId: null, from: 60, to: 100 }]));
    expect(raised.map((r) => r.projectId)).not.toContain(other.projectId);
    // The site's 120 days stay: only what is below the minimum moves.
    expect(raised.filter((r) => r.siteId !== null)).toEqual([]);
    expect(await storedRetention()).toBe(100);
    const [entry] = await retentionEntries();
    expect(entry).toMatchObject({ actor: 'system', outcome: 'success' });
    expect(entry!.reason).toContain('retention.minimumDays = 100');
    expect(entry!.details).toMatchObject({ from: 60, to: 100, minimumDays: 100 });
    expect(await raise.raiseRetentionsToMinimum()).toEqual([]);
  });

  it('a server whose minimum is higher gives new projects that retention', async () => {
    const strict = await startTestServer({
      database: db,
      config: { retention: { intervalMs: 0, minimumDays: 90 } },
    });
    try {
      const { projectId: id } = await createTestProject(strict, { name: 'Strict' });
      const policy = await strict.adminOk<ProjectPolicy>('GET', `/projects/${id}/policy`);
      expect(policy.policy.retentionDays).toBe(90);
    } finally {
      await strict.close();
    }
  });

  if (kind === 'postgres') {
    it('startServer raises policies below the configured minimum before it serves', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'seatwatch-minimum-'));
      try {
        const running = await startServer(
          configWith({
            databaseUrl: db.url!,
            port: 0,
            dataDir,
            logLevel: 'silent',
            retention: { intervalMs: 0, minimumDays: 150 },
          }),
        );
        await running.close();
        expect(await storedRetention()).toBe(150);
        const entry = (await retentionEntries()).find((e) => e.details.siteId === null);
        expect(entry).toMatchObject({ actor: 'system', details: { from: 100, to: 150 } });
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
