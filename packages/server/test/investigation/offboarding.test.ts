/**
 * Project offboarding through the CLI command on PGlite and PostgreSQL:
 * refused while a legal hold stands; then a signed bundle of everything, the project's
 * rows and blob files gone, the other project untouched, the audit trail
 * kept and extended. The run names the person who ran it (--by, with the
 * OS account), and the bundle keeps the policy history and the notice
 * history: every notice version and each operator's acknowledgement.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseDetail } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, HOUR, type World } from '@seatwatch/testkit/investigation-world';
import {
  connectAgent,
  createTestDatabase,
  DB_KINDS,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { auditPage } from '../../src/audit/audit-log.js';
import { verifyAuditLog } from '../../src/audit/verify-audit.js';
import { runInvestigationCommand } from '../../src/cli/investigation-cli.js';
import { configWith } from '../../src/config.js';
import { PGLITE_FOLDER, queryRows } from '../../src/db/connect.js';
import { verifyBundle } from '../../src/evidence/bundle-verify.js';
import type { OffboardingReport } from '../../src/offboarding/offboard-project.js';

describe.each(DB_KINDS)('offboarding on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let world: World;
  let dir: string;
  let dataDir: string;
  const lines: string[] = [];
  let io: Parameters<typeof runInvestigationCommand>[1];

  /**
   * Runs the command as an operator would. PGlite is one process's database:
   * there the server stops and the test closes its handle first (as
   * docs/investigation.md tells an operator), and both open the folder again
   * afterwards; on PostgreSQL the command runs beside the server.
   */
  async function offboard(args: string[]): Promise<number> {
    lines.length = 0;
    if (kind === 'postgres') return runInvestigationCommand(args, io);
    const { identity } = server;
    await server.close();
    await db.close();
    try {
      return await runInvestigationCommand(args, io);
    } finally {
      db = await createTestDatabase(kind, { pgliteDir: join(dataDir, PGLITE_FOLDER) });
      server = await startTestServer({ database: db, dataDir, identity });
    }
  }

  const count = async (table: string, projectId: string) =>
    (
      await queryRows<{ n: number }>(
        db.database.db,
        sql`select count(*)::int as n from ${sql.raw(table)} where project_id = ${projectId}`,
      )
    )[0]!.n;

  /** The bundle's text files by name. */
  async function bundleFiles(path: string): Promise<Map<string, string>> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.open(path, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
    );
    const out = new Map<string, string>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, async (error, stream) => {
          if (error) return reject(error);
          const chunks: Buffer[] = [];
          for await (const chunk of stream) chunks.push(chunk as Buffer);
          out.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
          zip.readEntry();
        });
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
    return out;
  }

  async function shaOfProject(projectId: string): Promise<string[]> {
    const rows = await queryRows<{ sha256: string; thumb_sha256: string | null }>(
      db.database.db,
      sql`select sha256, thumb_sha256 from screenshots where project_id = ${projectId}`,
    );
    // A thumbnail exists once someone has viewed the screenshot.
    return rows.flatMap((row) => (row.thumb_sha256 ? [row.sha256, row.thumb_sha256] : [row.sha256]));
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seatwatch-offboard-'));
    // The data folder the command is configured with; on PGlite, the database is in it.
    dataDir = join(dir, 'data');
    db = await createTestDatabase(kind, { pgliteDir: join(dataDir, PGLITE_FOLDER) });
    server = await startTestServer({ database: db, dataDir });
    world = await buildWorld(server, Date.now() - 2 * HOUR);
    io = {
      osUser: () => 'ops-alice',
      out: (text) => lines.push(text),
      err: (text) => lines.push(text),
      readConfig: () =>
        configWith({
          ...(db.url ? { databaseUrl: db.url } : {}),
          dataDir,
          serverKey: Buffer.from(server.serverKeys.secretKey.subarray(0, 32)).toString('base64'),
          blobKey: Buffer.from(server.identity.blobKey).toString('base64'),
        }),
      cwd: dir,
    };
  }, 180_000);

  afterAll(async () => {
    await world?.close();
    await server?.close();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('offboarding a project', () => {
    let caseId: string;

    it('is refused while a case of the project is on legal hold', async () => {
      const created = await asUser<CaseDetail>(
        server,
        world.who.invA,
        'POST',
        '/api/v1/investigation/cases',
        {
          projectId: world.projects.A,
          title: 'Open matter',
        },
      );
      caseId = created.body.case.id;
      await asUser(server, world.who.invA, 'POST', `/api/v1/investigation/cases/${caseId}/items`, {
        kind: 'screenshot',
        refId: world.seats.a1.screenshotId,
      });
      await asUser(server, world.who.invA, 'POST', `/api/v1/investigation/cases/${caseId}/legal-hold`, {
        hold: true,
        reason: 'litigation pending',
      });
      const args = [
        'offboard',
        '--project',
        world.projects.A,
        '--out',
        'a.zip',
        '--confirm',
        'Project A',
        '--by',
        'Alice Martin',
      ];
      expect(await offboard(args)).toBe(1);
      expect(lines.join('\n')).toContain('legal hold stands (1 held case(s)');
      expect(await count('screenshots', world.projects.A)).toBe(2);
    });

    it('needs the project’s name repeated', async () => {
      const args = ['offboard', '--project', world.projects.A, '--out', 'a.zip', '--confirm', 'Project B'];
      expect(await offboard([...args, '--by', 'Alice Martin'])).toBe(2);
      expect(lines.join('\n')).toContain('repeat its name');
    });

    it('needs the name of the person who runs it', async () => {
      const args = ['offboard', '--project', world.projects.A, '--out', 'a.zip', '--confirm', 'Project A'];
      expect(await offboard(args)).toBe(2);
      expect(lines.join('\n')).toContain('--by NAME');
      expect(await offboard([...args, '--by', ' '])).toBe(2);
      expect(await count('screenshots', world.projects.A)).toBe(2);
    });

    it('exports, then purges rows and blob files, and reports', async () => {
      // Releasing takes two investigators: one asks, another approves.
      const release = `/api/v1/investigation/cases/${caseId}/legal-hold`;
      const body = { hold: false, reason: 'contract ended, matter closed' };
      expect((await asUser(server, world.who.invA, 'POST', release, body)).status).toBe(202);
      const second = await createSignedInUser(server, `inv-a2-${kind}`, [
        { role: 'investigator', projectId: world.projects.A, teamId: null },
      ]);
      expect((await asUser(server, second, 'POST', release, body)).status).toBe(200);
      // What the operators were told: a second notice version, and an operator's acknowledgement of it.
      const current = await server.adminOk<{ policy: Record<string, unknown> }>(
        'GET',
        `/projects/${world.projects.A}/policy`,
      );
      await server.adminOk('PUT', `/projects/${world.projects.A}/policy`, {
        policy: current.policy,
        noticeText: 'Screens are recorded during working hours (revised).',
      });
      const revised = await server.adminOk<{ notice: { version: number } }>(
        'GET',
        `/projects/${world.projects.A}/policy`,
      );
      expect(revised.notice.version).toBe(2);
      // A connection of its own: on PGlite the server was restarted by the refused runs above.
      const seat = await connectAgent(server, world.seats.a1.agent);
      seat.sendBatch(3, [
        { type: 'notice_ack', time: Date.now(), noticeVersion: 2, osUser: 'op-desk-a1', shownVia: ['page'] },
      ]);
      await seat.ack(3);
      await seat.close();
      for (const client of [world.seats.a1.client, world.seats.a2.client]) await client.close();
      // Both screenshots were viewed, so each has a thumbnail to purge too.
      for (const shot of [world.seats.a1.screenshotId, world.seats.a2.screenshotId]) {
        const viewed = await fetch(`${server.url}/api/v1/screenshots/${shot}/thumbnail`, {
          headers: { authorization: `Bearer ${server.adminToken}` },
        });
        expect(viewed.status).toBe(200);
      }
      const shasA = await shaOfProject(world.projects.A);
      const shasB = await shaOfProject(world.projects.B);
      const auditBefore = await count('audit_log', world.projects.A);
      const args = [
        'offboard',
        '--project',
        world.projects.A,
        '--out',
        'a.zip',
        '--confirm',
        'Project A',
        '--reason',
        'contract end',
        '--by',
        'Alice Martin',
      ];
      expect(await offboard(args)).toBe(0);
      const report = JSON.parse(lines.join('\n')) as OffboardingReport;
      expect(report).toMatchObject({
        projectId: world.projects.A,
        projectName: 'Project A',
        blobsDeleted: 4,
        deleted: {
          activity_spans: 6,
          device_events: 2,
          screenshots: 2,
          events: 13,
          seats: 2,
          agents: 2,
          cases: 1,
          case_items: 1,
        },
      });

      for (const table of [
        'events',
        'activity_spans',
        'device_events',
        'screenshots',
        'logins',
        'agents',
        'seats',
        'cases',
        'user_grants',
      ]) {
        expect({ table, n: await count(table, world.projects.A) }).toEqual({ table, n: 0 });
      }
      for (const sha of shasA) expect(await server.blobs.has(sha)).toBe(false);
      for (const sha of shasB) expect(await server.blobs.has(sha)).toBe(true);
      expect(await count('screenshots', world.projects.B)).toBe(1);

      // The audit entries stay, plus the export and the purge; the chain still verifies.
      expect(await count('audit_log', world.projects.A)).toBe(auditBefore + 2);
      expect(await verifyAuditLog(db.database.db)).toMatchObject({ ok: true });

      const bundle = await verifyBundle(join(dir, 'a.zip'), server.serverKeys.publicKey);
      expect(bundle.problems).toEqual([]);
      const actor = 'cli:ops-alice (by Alice Martin)';
      expect(bundle.manifest).toMatchObject({ kind: 'project', exportedBy: actor, reason: 'contract end' });
      const entries = await auditPage(db.database.db, {
        projectIds: [world.projects.A],
        action: 'project',
        limit: 10,
      });
      expect(entries.entries.map((e) => [e.action, e.actor])).toEqual([
        ['project.offboard_purge', actor],
        ['project.offboard_export', actor],
      ]);

      // The policy and notice history travel in the bundle.
      const files = await bundleFiles(join(dir, 'a.zip'));
      const policies = JSON.parse(files.get('policy-history.json')!) as Array<{
        siteId: string | null;
        noticeVersion: number;
        noticeText: string;
        settings: { retentionDays: number };
      }>;
      expect(policies.map((p) => [p.siteId, p.noticeVersion, p.noticeText])).toEqual([
        [null, 1, expect.any(String)],
        [null, 2, 'Screens are recorded during working hours (revised).'],
      ]);
      expect(policies[1]!.settings.retentionDays).toBe(current.policy.retentionDays);
      const notices = JSON.parse(files.get('notice-history.json')!) as {
        versions: Array<{ noticeVersion: number; noticeText: string }>;
        acknowledgements: Array<Record<string, unknown>>;
        agents: Array<{ agentId: string; noticeVersion: number }>;
      };
      expect(notices.versions.map((v) => v.noticeVersion)).toEqual([1, 2]);
      expect(notices.acknowledgements).toEqual([
        expect.objectContaining({
          agentId: world.seats.a1.agent.agentId,
          seatName: 'desk-a1',
          osUser: 'op-desk-a1',
          noticeVersion: 2,
          shownVia: ['page'],
        }),
      ]);
      expect(notices.agents).toContainEqual(
        expect.objectContaining({ agentId: world.seats.a1.agent.agentId, noticeVersion: 2 }),
      );
      expect(bundle.manifest?.counts).toMatchObject({ policyVersions: 2, noticeAcknowledgements: 1 });
      expect(bundle.manifest?.counts).toMatchObject({
        screenshots: 2,
        activity_spans: 6,
        screenshotFiles: 2,
      });
    });
  });
});
