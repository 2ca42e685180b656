/**
 * The policy's mask patterns (issue #12) are checked when saved: every seat
 * compiles them in RE2, so a pattern RE2 cannot compile (a backreference, a
 * lookaround) or that matches the empty text is refused with
 * mask_pattern_invalid and nothing is saved; usable ones are stored and
 * served with the policy. Oversized patterns are refused by the schema.
 */
import type { ProjectPolicy } from '@seatwatch/shared/dashboard-api';
import {
  createTestDatabase,
  createTestProject,
  DB_KINDS,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PHONE = String.raw`\b1[3-9]\d(?:[ -]?\d{4}){2}\b`;
const RESIDENT_ID = String.raw`\b\d{17}[\dXx]\b`;

describe.each(DB_KINDS)('mask patterns in the policy on %s', (kind) => {
  let db: TestDatabase;
  let server: TestServer;
  let projectId: string;

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    server = await startTestServer({ database: db });
    projectId = (await createTestProject(server, { name: 'Masks' })).projectId;
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  const put = async (masks: unknown) => {
    const current = await server.adminOk<ProjectPolicy>('GET', `/projects/${projectId}/policy`);
    return server.admin('PUT', `/projects/${projectId}/policy`, {
      policy: { ...current.policy, masks },
      noticeText: current.notice.text,
      push: false,
    });
  };
  const stored = async () =>
    (await server.adminOk<ProjectPolicy>('GET', `/projects/${projectId}/policy`)).policy;

  it('stores usable patterns and serves them with the policy', async () => {
    const saved = await put({ cardNumbers: true, patterns: [PHONE, RESIDENT_ID] });
    expect(saved.status).toBe(200);
    expect((await stored()).masks).toEqual({ cardNumbers: true, patterns: [PHONE, RESIDENT_ID] });
  });

  it('refuses what RE2 cannot compile or what matches the empty text, and keeps the stored patterns', async () => {
    for (const bad of ['(\\d)\\1', '(?<=ID )\\d+', '\\d*']) {
      const refused = await put({ cardNumbers: true, patterns: [PHONE, bad] });
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({
        error: 'mask_pattern_invalid',
        message: expect.stringMatching(/: pattern 2: /),
      });
    }
    expect((await stored()).masks).toEqual({ cardNumbers: true, patterns: [PHONE, RESIDENT_ID] });
  });

  it('refuses too long a pattern, too many, or fields it does not know, by the schema', async () => {
    expect((await put({ cardNumbers: true, patterns: ['x'.repeat(201)] })).status).toBe(400);
    expect(
      (await put({ cardNumbers: true, patterns: Array.from({ length: 21 }, (_, i) => `p${i}`) })).status,
    ).toBe(400);
    expect((await put({ cardNumbers: true, patterns: [], extra: 1 })).status).toBe(400);
  });
});
