/**
 * The investigation pages in Debian's Chromium (playwright-core) against a
 * real collector on PostgreSQL serving the built web app: an investigator
 * reads a timeline with a reason and opens a full screenshot; an auditor
 * finds that look in the audit log; the operator, through the agent's
 * one-time link, sees who looked and why. Window titles from the seat are
 * shown as text. Page screenshots go to test-artifacts/investigation/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toBase64 } from '@seatwatch/shared';
import { type SelfViewLink, selfViewSigningInput } from '@seatwatch/shared/dashboard-api';
import { builtWebApp, chromiumLaunchOptions } from '@seatwatch/testkit/browser';
import type { SignedIn } from '@seatwatch/testkit/dashboard-session';
import { buildWorld, HOUR, type World } from '@seatwatch/testkit/investigation-world';
import {
  createTestDatabase,
  httpJson,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/investigation');
let db: TestDatabase;
let server: TestServer;
let world: World;
let browser: Browser;

async function contextFor(user: SignedIn | null): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  if (user) {
    const [name, value] = user.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: server.url }]);
  }
  return context;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!builtWebApp()) {
    execFileSync('pnpm', ['--filter', '@seatwatch/dashboard', 'build'], { stdio: 'ignore' });
  }
  db = await createTestDatabase('postgres');
  server = await startTestServer({ database: db });
  world = await buildWorld(server, Date.now() - 2 * HOUR);
  browser = await chromium.launch(chromiumLaunchOptions());
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await world?.close();
  await server?.close();
  await db?.close();
});

describe('investigation pages in Chromium', () => {
  it('an investigator reads a timeline with a reason and opens the full screenshot', async () => {
    const context = await contextFor(world.who.invA);
    const page = await context.newPage();
    await page.goto(`${server.url}/investigation/timeline`);
    const picker = page.getByTestId('seat-picker');
    await picker.getByPlaceholder('Find a seat, site or team').fill('desk-a1');
    await picker.getByLabel('desk-a1').check();
    await page.getByPlaceholder('Why you need to see this (recorded)').fill('Complaint 77 by a customer');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.getByText('Ticket 4711 — Customer Müller').count()).toBe(1);
    // A title that looks like a formula (or markup) is plain text here.
    await expect.poll(() => page.getByText('=Ticket 4712 (cmd|calc)').count()).toBe(1);
    await page.getByRole('button', { name: 'Full resolution' }).click();
    const full = page.locator('.viewer img');
    await full.waitFor();
    expect(await full.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(64);
    await page.screenshot({ path: join(ARTIFACTS, 'timeline.png'), fullPage: true });
    await context.close();
  }, 60_000);

  it('an auditor finds that look in the audit log, with its reason', async () => {
    const context = await contextFor(world.who.audA);
    const page = await context.newPage();
    await page.goto(`${server.url}/audit`);
    const table = page.getByTestId('audit-entries');
    await expect.poll(() => table.getByText('screenshot.view').count()).toBeGreaterThan(0);
    expect(await table.getByText('Complaint 77 by a customer').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, 'audit-log.png'), fullPage: true });
    await context.close();
  }, 60_000);

  it('the operator opens the self-view from the agent’s one-time link', async () => {
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
    const context = await contextFor(null);
    const page = await context.newPage();
    await page.goto(link.body.url);
    const access = page.getByTestId('self-view-access');
    await expect.poll(() => access.getByText('Complaint 77 by a customer').count()).toBeGreaterThan(0);
    expect(await access.getByText('user:inv-a').count()).toBeGreaterThan(0);
    expect(page.url()).not.toContain('token=');
    await page.screenshot({ path: join(ARTIFACTS, 'self-view.png'), fullPage: true });
    // The link worked once: loading it again is refused.
    const again = await context.newPage();
    await again.goto(link.body.url);
    await expect.poll(() => again.getByText('The link works once').count()).toBe(1);
    await context.close();
  }, 60_000);
});
