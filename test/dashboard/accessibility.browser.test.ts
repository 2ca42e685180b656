/**
 * Zero axe-core violations on every page of the web app (issue #13), in
 * Debian's Chromium against a real collector on PostgreSQL serving the built
 * dashboard, with the investigation world's seats, alerts, a case and users
 * of every role. The pages are the routes the router declares (read from
 * the dashboard's source by @seatwatch/testkit/browser), so a page added later is checked too; a route
 * with a parameter needs a line in ROUTE_VALUES below, and the test says so.
 * Each page is checked in English and in Simplified Chinese. Violations are
 * written to test-artifacts/accessibility/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toBase64 } from '@seatwatch/shared';
import { type Anomaly, type SelfViewLink, selfViewSigningInput } from '@seatwatch/shared/dashboard-api';
import { builtWebApp, chromiumLaunchOptions, dashboardPageRoutes } from '@seatwatch/testkit/browser';
import { asUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, HOUR, type World } from '@seatwatch/testkit/investigation-world';
import {
  createTestDatabase,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import axe from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What the page functions below use of the browser: this package's TypeScript has no DOM library.
declare const window: { axe: typeof axe };
declare const document: unknown;

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/accessibility');
let db: TestDatabase;
let server: TestServer;
let world: World;
let browser: Browser;
let caseId = '';

/** Values for route parameters, by route. */
const ROUTE_VALUES: Record<string, () => Record<string, string>> = {
  '/seats/:id': () => ({ id: world.seats.a1.seatId }),
  '/investigation/cases/:id': () => ({ id: caseId }),
};

/** Who opens a page: the operator's self-view and the sign-in pages need nobody signed in. */
function viewerOf(pattern: string): SignedIn | null {
  if (['/login', '/setup', '/self-view'].includes(pattern)) return null;
  // An administrator's role does not reach investigations (the roles are separate on purpose).
  if (pattern.startsWith('/investigation')) return world.who.invA;
  return world.who.root;
}

async function selfViewUrl(): Promise<string> {
  const agent = world.seats.a1.agent;
  const p = JSON.stringify({
    t: 'self_view_link',
    v: 1,
    agent: agent.agentId,
    time: Date.now(),
    nonce: randomBytes(16).toString('base64url'),
  });
  const link = await httpJson<SelfViewLink>('POST', `${server.url}/api/v1/self-view/links`, {
    p,
    s: toBase64(agent.signer.sign(selfViewSigningInput(p))),
  });
  return link.body.url;
}

async function urlOf(pattern: string): Promise<string> {
  if (pattern === '/self-view') return selfViewUrl();
  // A setup link that is not valid: the page says so, and that page is what is checked.
  if (pattern === '/setup') return `${server.url}/setup#token=not-a-valid-token`;
  const params = /:\w+/.test(pattern) ? ROUTE_VALUES[pattern]?.() : {};
  if (!params) throw new Error(`${pattern} has a parameter: give it a value in ROUTE_VALUES`);
  return `${server.url}${pattern.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name]!))}`;
}

/** Waits until the page has drawn its data: no "Loading…" left and the main landmark present. */
async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('load');
  await expect
    .poll(async () => (await page.getByText(/Loading…|加载中/).count()) === 0, { timeout: 20_000 })
    .toBe(true);
}

interface Violation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly targets: string[];
}

async function violations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ content: axe.source });
  return page.evaluate(async () => {
    const results = await window.axe.run(document as never, { resultTypes: ['violations'] });
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact ?? null,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  });
}

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!builtWebApp()) {
    execFileSync('pnpm', ['--filter', '@seatwatch/dashboard', 'build'], { stdio: 'ignore' });
  }
  db = await createTestDatabase('postgres');
  server = await startTestServer({ database: db });
  world = await buildWorld(server, Date.now() - 2 * HOUR);
  // A case opened from an alert, with its items and a note: the case page at its fullest.
  const alerts = await asUser<Anomaly[]>(server, world.who.invA, 'GET', '/api/v1/anomalies');
  const opened = await asUser<{ case: { id: string } }>(
    server,
    world.who.invA,
    'POST',
    '/api/v1/investigation/cases',
    {
      projectId: world.projects.A,
      title: 'Complaint 77',
      ...(alerts.body[0] ? { fromAnomalyId: alerts.body[0].id } : {}),
    },
  );
  expect(opened.status).toBe(201);
  caseId = opened.body.case.id;
  const note = await asUser(server, world.who.invA, 'POST', `/api/v1/investigation/cases/${caseId}/notes`, {
    body: 'Called the team lead.',
  });
  expect(note.status).toBeLessThan(300);
  browser = await chromium.launch(chromiumLaunchOptions());
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await server?.close();
  await db?.close();
});

describe('accessibility of every page (axe-core)', () => {
  const routes = dashboardPageRoutes();

  it('finds the pages in the router', () => {
    const patterns = routes.map((route) => route.pattern);
    for (const known of ['/', '/login', '/seats/:id', '/alerts', '/admin/users', '/account', '/self-view']) {
      expect(patterns).toContain(known);
    }
  });

  for (const locale of ['en-US', 'zh-CN']) {
    it(`has no violation on any page (${locale})`, async () => {
      const found: Record<string, Violation[]> = {};
      for (const { pattern } of routes) {
        const viewer = viewerOf(pattern);
        // The dashboard's Content-Security-Policy rightly refuses an injected script; axe is ours.
        const context = await browser.newContext({
          viewport: { width: 1280, height: 900 },
          locale,
          bypassCSP: true,
        });
        if (viewer) {
          const [name, value] = viewer.cookie.split('=') as [string, string];
          await context.addCookies([{ name, value, url: server.url }]);
        }
        const page = await context.newPage();
        await page.goto(await urlOf(pattern));
        await settled(page);
        const seen = await violations(page);
        if (seen.length > 0) found[`${pattern} (${new URL(page.url()).pathname})`] = seen;
        await context.close();
      }
      writeFileSync(join(ARTIFACTS, `violations-${locale}.json`), `${JSON.stringify(found, null, 2)}\n`);
      expect(found).toEqual({});
    }, 300_000);
  }
});
