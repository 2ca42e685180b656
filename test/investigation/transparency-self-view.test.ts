/**
 * From the agent's local transparency page to the server's self-view: the
 * page's link asks the real collector (PostgreSQL) for a one-time link with
 * the agent's enrolled key and redirects the browser there; the link then
 * opens the seat's view once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestSelfViewLink, startTransparencyPage, type TransparencyPage } from '@seatwatch/agent';
import type { SelfView } from '@seatwatch/shared/dashboard-api';
import {
  connectAgent,
  createTestDatabase,
  type EnrolledAgent,
  enrollTestAgent,
  httpJson,
  startTestServer,
  type TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let db: TestDatabase;
let server: TestServer;
let agent: EnrolledAgent;
let client: TestAgentClient;
let page: TransparencyPage;
let stateDir: string;

beforeAll(async () => {
  db = await createTestDatabase('postgres');
  server = await startTestServer({ database: db });
  agent = await enrollTestAgent(server, { hostname: 'desk-transparent' });
  client = await connectAgent(server, agent);
  stateDir = await mkdtemp(join(tmpdir(), 'seatwatch-page-'));
  page = await startTransparencyPage(stateDir, 0, {
    status: () => {
      throw new Error('the self-view route does not render the page');
    },
    notice: () => ({ version: 1, text: 'Notice' }),
    lastScreenshot: () => null,
    selfViewLink: () => requestSelfViewLink(server.url, agent.agentId, agent.signer),
  });
}, 60_000);

afterAll(async () => {
  await page?.close();
  await client?.close();
  await server?.close();
  await db?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

describe('the transparency page’s self-view link', () => {
  it('redirects to a one-time link of the server that opens this seat’s view once', async () => {
    const answer = await fetch(`${page.url}self-view`, { redirect: 'manual' });
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${server.url}/self-view`);
    const token = location.hash.replace(/^#token=/, '');
    const opened = await httpJson<SelfView>('POST', `${server.url}/api/v1/self-view/session`, { token });
    expect(opened.status).toBe(200);
    expect(opened.body.seat.name).toBe('desk-transparent');
    expect((await httpJson('POST', `${server.url}/api/v1/self-view/session`, { token })).status).toBe(401);
  });

  it('says so when the server cannot be asked', async () => {
    const offline = await startTransparencyPage(stateDir, 0, {
      status: () => {
        throw new Error('not rendered');
      },
      notice: () => ({ version: 1, text: 'Notice' }),
      lastScreenshot: () => null,
      selfViewLink: () => requestSelfViewLink('http://127.0.0.1:9', agent.agentId, agent.signer),
    });
    try {
      const answer = await fetch(`${offline.url}self-view`, { redirect: 'manual' });
      expect(answer.status).toBe(502);
      expect(await answer.text()).toContain('could not be asked for the link');
    } finally {
      await offline.close();
    }
  });
});
