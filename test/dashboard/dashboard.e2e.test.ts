/**
 * The dashboard end to end, in Debian's Chromium driven by playwright-core,
 * against a real collector (PGlite) serving the built web app: first-run
 * setup from the printed link, sign-in with TOTP, a seat going live on the
 * board, a window title that tries to inject HTML shown as text, capture-now
 * bringing a new screenshot, and an anomaly arriving in the alerts feed
 * live. The seat is the server test support's protocol client (signed
 * frames over a real WebSocket). Page screenshots go to test-artifacts/dashboard/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../packages/server/src/accounts/totp.otplib.js';
import { WEB_APP_DIR } from '../../packages/server/src/routes/dashboard/web-app.routes.js';
import {
  TestAgentClient as AgentClient,
  captureEvent,
  connectAgent,
  createTestDatabase,
  enrollTestAgent,
  startTestServer,
  type TestAgentClient,
  type TestDatabase,
  type TestServer,
  testJpeg,
} from '../../packages/server/test/support/index.js';

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/dashboard');
const HOSTILE_TITLE = '<img src=x onerror=alert(1)>';
const PASSWORD = 'a long and private passphrase';

let db: TestDatabase;
let server: TestServer;
let browser: Browser;
let page: Page;
let agent: TestAgentClient | null = null;
let totpSecret = '';
const dialogs: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // `pnpm build` makes it before the tests; a lone run of this file builds it here.
  if (!existsSync(join(WEB_APP_DIR, 'index.html'))) {
    execFileSync('pnpm', ['--filter', '@seatwatch/dashboard', 'build'], { stdio: 'ignore' });
  }
  db = await createTestDatabase('pglite');
  server = await startTestServer({ database: db });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
  page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await browser?.close();
  await server?.close();
  await db?.close();
});

describe('dashboard in Chromium', () => {
  it('first start: the printed one-time link sets up the administrator with an authenticator', async () => {
    const first = await server.app.seatwatch.accounts.ensureFirstAdministrator();
    expect(first?.username).toBe('admin');
    await page.goto(`${server.url}/setup#token=${first!.token}`);
    await page.locator('input[name="new-password"]').fill(PASSWORD);
    await page.locator('input[name="confirm-password"]').fill(PASSWORD);
    totpSecret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s+/g, '');
    expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    await page.locator('input[name="code"]').fill(await totpCodeAt(totpSecret, Date.now()));
    await shot('01-first-run-setup');
    await page.getByRole('button', { name: 'Finish setup' }).click();
    await page.getByTestId('board-count').waitFor();
    await shot('02-board-empty');
    // The link is used up.
    const again = await server.app.seatwatch.accounts.ensureFirstAdministrator();
    expect(again).toBeNull();
  });

  it('signs out, and signs in again with password and TOTP', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('input[name="username"]').fill('admin');
    await page.locator('input[name="password"]').fill('wrong password entirely');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Your session has ended');
    await page.locator('input[name="password"]').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('input[name="code"]').waitFor();
    await shot('03-login-totp');
    // The setup used this time step's code; the authenticator's next code is accepted once.
    await page.locator('input[name="code"]').fill(await totpCodeAt(totpSecret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('board-count').waitFor();
  });

  it('a seat goes live on the board, and its window title stays text', async () => {
    const project = await server.adminOk<{ id: string }>('POST', '/projects', { name: 'Support floor' });
    const site = await server.adminOk<{ id: string }>('POST', `/projects/${project.id}/sites`, {
      name: 'Berlin',
    });
    const team = await server.adminOk<{ id: string }>('POST', `/projects/${project.id}/teams`, {
      name: 'Team Blue',
      siteId: site.id,
    });
    await server.adminOk('POST', `/projects/${project.id}/seats`, {
      name: 'desk-07',
      siteId: site.id,
      teamId: team.id,
    });
    const enrolled = await enrollTestAgent(server, {
      projectId: project.id,
      hostname: 'desk-07',
      osUser: 'li.wei',
    });
    agent = await connectAgent(server, enrolled);
    const now = Date.now();
    agent.sendBatch(1, [
      { type: 'status', time: now - 1000, state: 'active', idleMs: 0 },
      { type: 'activity', time: now - 1000, end: now, app: 'CRM', title: HOSTILE_TITLE },
    ]);
    await agent.ack(1);

    const tile = page.locator('[data-testid="seat-tile"]', { hasText: 'desk-07' });
    await expect.poll(() => tile.getAttribute('data-state'), { timeout: 5000 }).toBe('active');
    await expect.poll(() => tile.getByTestId('seat-app').textContent()).toBe('CRM');
    expect(await page.locator('h2', { hasText: 'Berlin' }).count()).toBe(1);
    await shot('04-board-live-seat');

    await tile.click();
    const title = page.getByTestId('span-title').first();
    await title.waitFor();
    expect(await title.textContent()).toBe(HOSTILE_TITLE);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await shot('05-seat-detail');
  });

  it('capture now shows the new screenshot when it arrives', async () => {
    await page.getByRole('button', { name: 'Capture now' }).click();
    const command = await agent!.next('command', (c) => c.cmd === 'capture_now');
    agent!.sendBlob(2, await testJpeg(320, 200), {
      event: captureEvent({ trigger: 'command', commandId: command.id, width: 320, height: 200 }),
    });
    await agent!.ack(2);
    await page.getByTestId('capture-arrived').waitFor({ timeout: 5000 });
    await page.getByTestId('captured-screenshot').locator('img').waitFor();
    await expect
      .poll(() =>
        page
          .getByTestId('captured-screenshot')
          .locator('img')
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    await shot('06-capture-now');
  });

  it('an anomaly appears in the alerts feed live', async () => {
    const projectId = agent!.agent.projectId;
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByTestId('alert-list').waitFor({ state: 'attached' });
    const before = await page.getByTestId('alert').count();
    // Only 127.0.0.1 may connect now; the same seat dials in from 127.0.0.2 and is refused.
    await server.adminOk('POST', `/projects/${projectId}/allowlist`, { cidr: '127.0.0.1/32' });
    const refused = await AgentClient.connect(server, agent!.agent, { localAddress: '127.0.0.2' });
    refused.sendHello();
    await refused.closed;
    const alert = page.locator('[data-testid="alert"][data-rule="ip_not_allowed"]');
    await alert.first().waitFor({ timeout: 5000 });
    expect(await page.getByTestId('alert').count()).toBe(before + 1);
    expect(await alert.first().getByTestId('alert-summary').textContent()).toContain('127.0.0.2');
    await shot('07-alerts-live');
  });

  it('administration: issues an enrollment token shown once, and makes a supervisor with a setup link', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('button', { name: 'Sites, teams and seats' }).waitFor();
    await page.getByLabel('Project').first().selectOption({ label: 'Support floor' });
    expect(await page.locator('td', { hasText: 'desk-07' }).count()).toBe(1);
    await shot('09-admin-structure');
    await page.getByRole('button', { name: 'Enrollment tokens' }).click();
    await page.getByLabel('Label').fill('second floor');
    await page.getByRole('button', { name: 'Issue token' }).click();
    const token = await page.getByTestId('issued-token').inputValue();
    expect(token.length).toBeGreaterThan(20);
    await shot('10-admin-token-once');
    await page.getByRole('button', { name: 'Close' }).click();
    expect(await page.getByTestId('issued-token').count()).toBe(0);
    expect(await page.content()).not.toContain(token);

    await page.getByRole('link', { name: 'Users and roles' }).click();
    await page.getByLabel('User name').fill('mei.supervisor');
    await page.getByLabel('Role').selectOption('supervisor');
    await page.getByRole('button', { name: 'Add role' }).click();
    await page.getByRole('button', { name: 'Create and make a setup link' }).click();
    const link = await page.getByTestId('setup-link').inputValue();
    expect(link).toMatch(/\/setup#token=[A-Za-z0-9_-]{43}$/);
    expect(await page.locator('[data-testid="user-row"][data-username="mei.supervisor"]').count()).toBe(1);
    await shot('11-admin-users');
  });

  it('speaks Simplified Chinese', async () => {
    await page.getByRole('link', { name: 'Board', exact: true }).click();
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '座席看板' }).waitFor();
    await shot('08-board-zh-CN');
    await page.getByLabel('语言').selectOption('en');
  });
});
