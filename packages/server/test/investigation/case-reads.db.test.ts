/**
 * Reading a case is a look like any other (issue #11 follow-up), on PGlite
 * and PostgreSQL through the real HTTP API: a reader's reads of one case
 * within a minute write one audit entry at once and one with the rest of
 * the count when the minute is over, and a read of another case in the same
 * minute is an entry of its own, naming that case. Exports are not folded:
 * each is its own entry at once (evidence leaving the system).
 */
import type { AuditEntryView, AuditPage } from '@seatwatch/shared/dashboard-api';
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

const MINUTE = 60_000;

describe.each(DB_KINDS)('case reads and exports on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let projectId: string;
  let investigator: SignedIn;
  let root: SignedIn;
  // The clock stands still once the users exist: a minute closes only when the test says so.
  let frozen: number | null = null;
  const now = () => frozen ?? Date.now();

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db, now });
    projectId = (await createTestProject(server)).projectId;
    investigator = await createSignedInUser(server, 'inv', [
      { role: 'investigator', projectId, teamId: null },
    ]);
    root = await createSignedInUser(server, 'root', [
      { role: 'administrator', projectId: null, teamId: null },
    ]);
    frozen = Date.now();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  async function auditEntries(query: string): Promise<AuditEntryView[]> {
    const answer = await server.app.inject({
      method: 'GET',
      url: `/api/v1/investigation/audit?${query}`,
      headers: { cookie: root.cookie },
    });
    expect(answer.statusCode).toBe(200);
    return (answer.json() as AuditPage).entries;
  }

  it('case reads are folded per reader, case and minute; exports stay one entry each', async () => {
    const created = await asUser<{ case: { id: string } }>(
      server,
      investigator,
      'POST',
      '/api/v1/investigation/cases',
      {
        projectId,
        title: 'Summary test case',
      },
    );
    expect(created.status).toBe(201);
    const caseId = created.body.case.id;
    const other = await asUser<{ case: { id: string } }>(
      server,
      investigator,
      'POST',
      '/api/v1/investigation/cases',
      {
        projectId,
        title: 'Another case',
      },
    );
    const reads = () => auditEntries(`projectId=${projectId}&action=case.read&limit=50`);
    const before = (await reads()).length;
    for (let i = 0; i < 5; i++) {
      expect(
        (await asUser(server, investigator, 'GET', `/api/v1/investigation/cases/${caseId}`)).status,
      ).toBe(200);
    }
    // Another case read in the same minute is an entry of its own, naming that case.
    await asUser(server, investigator, 'GET', `/api/v1/investigation/cases/${other.body.case.id}`);
    let entries = await reads();
    expect(entries).toHaveLength(before + 2);
    expect(
      entries
        .slice(0, 2)
        .map((e) => e.caseId)
        .sort(),
    ).toEqual([caseId, other.body.case.id].sort());
    frozen = now() + 2 * MINUTE;
    await server.app.seatwatch.flushAccessRecords();
    entries = await reads();
    const ofCase = entries.filter((e) => e.caseId === caseId);
    expect(ofCase.reduce((sum, e) => sum + Number(e.details.count), 0)).toBe(5);
    expect(ofCase).toHaveLength(2);

    const exports = () => auditEntries(`projectId=${projectId}&action=case.export&limit=50`);
    const exportsBefore = (await exports()).length;
    for (let i = 0; i < 2; i++) {
      const answer = await server.app.inject({
        method: 'POST',
        url: `/api/v1/investigation/cases/${caseId}/export`,
        headers: { cookie: investigator.cookie, 'x-csrf-token': investigator.csrf },
        payload: { reason: 'for the works council' },
      });
      expect(answer.statusCode).toBe(200);
    }
    // Evidence leaving the system: each export its own entry at once, unfolded.
    expect((await exports()).length).toBe(exportsBefore + 2);
  });
});
