/**
 * The dashboard end to end, in Debian's Chromium driven by playwright-core,
 * against a real collector (PostgreSQL) serving the built web app, with the
 * real agent as the seat: `seatwatch-agent run` as a child process on an
 * X11 desktop (Xvfb + openbox + xterm) whose window title tries to inject HTML.
 *
 * First-run setup from the printed link and sign-in with TOTP; the project,
 * its site, team, seat, notice, a prohibited-app rule and the enrollment
 * token made in the administration pages; the agent enrolling with that
 * token, showing the notice (its local page counts as shown, as in the
 * agent's own end-to-end tests) and its seat going live on the open board;
 * the hostile title shown as text; capture-now bringing a new screenshot of
 * the Xvfb screen into the seat page; and an anomaly raised by a window the
 * operator opens arriving in the open alerts feed. Page screenshots go to
 * test-artifacts/dashboard/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Policy } from '@seatwatch/shared';
import { Children } from '@seatwatch/testkit';
import { type AgentProcess, enrollWithLibrary, startAgentProcess } from '@seatwatch/testkit/agent';
import { builtWebApp, chromiumLaunchOptions } from '@seatwatch/testkit/browser';
import { authenticatorCode } from '@seatwatch/testkit/dashboard-session';
import { type SeatDesktop, startSeatDesktop } from '@seatwatch/testkit/desktop';
import {
  createTestDatabase,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/dashboard');
const HOSTILE_TITLE = '<img src=x onerror=alert(1)>';
/** A window the project's deny list names (the rule matches a part of the title, in any case). */
const PROHIBITED_TITLE = `Solitaire ${process.pid}`;
const PASSWORD = 'a long and private passphrase';
const NOTICE =
  'Support floor Berlin records the active application and window title, idle time and ' +
  'screenshots of this seat. Questions: privacy@example.com';

const children = new Children();
let db: TestDatabase;
let server: TestServer;
let desktop: SeatDesktop;
let browser: Browser;
let page: Page;
let stateDir = '';
let agent: AgentProcess | null = null;
let totpSecret = '';
let enrollmentToken = '';
const dialogs: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  // This run's pictures only.
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  stateDir = mkdtempSync(join(os.tmpdir(), 'seatwatch-e2e-dashboard-seat-'));
  // `pnpm build` makes it before the tests; a lone run of this file builds it here.
  if (!builtWebApp()) {
    execFileSync('pnpm', ['--filter', '@seatwatch/dashboard', 'build'], { stdio: 'ignore' });
  }
  const seatDesktop = async () => {
    desktop = await startSeatDesktop(children);
    await desktop.openWindow(HOSTILE_TITLE);
  };
  const collector = async () => {
    db = await createTestDatabase('postgres');
    server = await startTestServer({ database: db });
  };
  const chromiumPage = async () => {
    browser = await chromium.launch(chromiumLaunchOptions());
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  };
  await Promise.all([seatDesktop(), collector(), chromiumPage()]);
}, 120_000);

afterAll(async () => {
  // The agent first (its clean stop reaches the collector), then the desktop.
  await children.stopAll();
  await browser?.close();
  await server?.close();
  await db?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
}, 60_000);

describe('dashboard in Chromium, with the real agent as the seat', () => {
  it('first start: the printed one-time link sets up the administrator with an authenticator', async () => {
    const first = await server.app.seatwatch.accounts.ensureFirstAdministrator();
    expect(first?.username).toBe('admin');
    await page.goto(`${server.url}/setup#token=${first!.token}`);
    await page.locator('input[name="new-password"]').fill(PASSWORD);
    await page.locator('input[name="confirm-password"]').fill(PASSWORD);
    totpSecret = (await page.getByTestId('totp-secret').textContent())!.replace(/\s+/g, '');
    expect(totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    await page.locator('input[name="code"]').fill(await authenticatorCode(totpSecret, Date.now()));
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
    await page.locator('input[name="code"]').fill(await authenticatorCode(totpSecret, Date.now() + 30_000));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('board-count').waitFor();
  });

  it('administration: a project with a site, a team, a seat, its notice and a prohibited-app rule', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByLabel('New project name').fill('Support floor');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('button', { name: 'Sites, teams and seats' }).waitFor();

    await page.getByPlaceholder('Site name').fill('Berlin');
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.locator('ul.chips li', { hasText: 'Berlin' }).waitFor();
    const teamForm = page.locator('form', { has: page.getByPlaceholder('Team name') });
    await teamForm.getByPlaceholder('Team name').fill('Team Blue');
    await teamForm.getByLabel('Site').selectOption({ label: 'Berlin' });
    await teamForm.getByRole('button', { name: 'Add team' }).click();
    await page.locator('ul.chips li', { hasText: 'Team Blue' }).waitFor();
    const seatForm = page.locator('form', { has: page.getByPlaceholder('Seat name') });
    await seatForm.getByPlaceholder('Seat name').fill('desk-07');
    await seatForm.getByLabel('Site').selectOption({ label: 'Berlin' });
    await seatForm.getByLabel('Team').selectOption({ label: 'Team Blue' });
    await seatForm.getByRole('button', { name: 'Add seat' }).click();
    const seatRow = page.locator('tr', { has: page.locator('td', { hasText: 'desk-07' }) });
    await expect
      .poll(() => seatRow.locator('td').allTextContents())
      .toEqual(['desk-07', 'Berlin', 'Team Blue']);
    await shot('04-admin-structure');

    await page.getByRole('button', { name: 'Policy and notice' }).click();
    const notice = page.getByLabel(/Monitoring notice shown to operators/);
    await notice.fill(NOTICE);
    await page.getByRole('button', { name: 'Save and send to agents' }).click();
    await page.getByText('Saved.').waitFor();
    // A new text is a new notice version, which every agent must show again before it collects.
    await page.getByText('Monitoring notice shown to operators (now version 2)').waitFor();
    await shot('05-admin-notice');

    // Masking on the seat (issue #12): a pattern RE2 cannot run is refused and nothing is saved;
    // usable ones are stored with the policy.
    const patterns = page.getByLabel(/Also mask, on the seat/);
    await patterns.fill('(\\d)\\1');
    await page.getByRole('button', { name: 'Save and send to agents' }).click();
    await page.getByText(/A mask pattern cannot be used, nothing was saved: .*pattern 1/).waitFor();
    await patterns.fill('\\b1[3-9]\\d{9}\\b\n\\b\\d{17}[\\dXx]\\b');
    await page.getByRole('button', { name: 'Save and send to agents' }).click();
    await page.getByText('Saved.').waitFor();
    const projects = await server.adminOk<{ id: string; name: string }[]>('GET', '/projects');
    const supportFloor = projects.find((p) => p.name === 'Support floor')!;
    const saved = await server.adminOk<{ policy: Policy }>('GET', `/projects/${supportFloor.id}/policy`);
    expect(saved.policy.masks).toEqual({
      cardNumbers: true,
      patterns: ['\\b1[3-9]\\d{9}\\b', '\\b\\d{17}[\\dXx]\\b'],
    });

    await page.getByRole('button', { name: 'Anomaly rules' }).click();
    const rule = page.locator('[data-testid="rule-row"][data-rule="prohibited_app"]');
    const config = { denyList: [{ pattern: 'solitaire', field: 'title', match: 'contains' }] };
    await rule.getByLabel('Settings (JSON)').fill(JSON.stringify(config));
    await rule.getByRole('button', { name: 'Save' }).click();
    // After a save the rows are read again and show each stored config pretty-printed (the
    // "Saved." of the old row goes with it, so it is no condition to wait for).
    await expect
      .poll(async () => {
        const shown = await rule.getByLabel('Settings (JSON)').inputValue();
        return shown.includes('\n') ? JSON.parse(shown) : null;
      })
      .toEqual(config);
    await shot('06-admin-rules');
  });

  it('administration: issues an enrollment token that is shown once', async () => {
    await page.getByRole('button', { name: 'Enrollment tokens' }).click();
    await page.getByLabel('Label').fill('desk-07');
    await page.getByRole('button', { name: 'Issue token' }).click();
    enrollmentToken = await page.getByTestId('issued-token').inputValue();
    expect(enrollmentToken.length).toBeGreaterThan(20);
    await shot('07-admin-token-once');
    await page.getByRole('button', { name: 'Close' }).click();
    // The dialog closes on React's next render, not within the click: wait for it.
    await page.getByTestId('issued-token').waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(enrollmentToken);
  });

  it('the real agent enrolls with that token, shows the notice, and its seat goes live on the open board', async () => {
    await page.getByRole('link', { name: 'Board', exact: true }).click();
    const tile = page.locator('[data-testid="seat-tile"]', { hasText: 'desk-07' });
    await expect.poll(() => tile.getAttribute('data-state')).toBe('offline');
    expect(await page.locator('h2', { hasText: 'Berlin' }).count()).toBe(1);

    await enrollWithLibrary({ server: server.url, token: enrollmentToken, seat: 'desk-07', stateDir });
    agent = startAgentProcess(children, ['run', '--state-dir', stateDir, '--page-port', '0'], desktop.env);
    const [running] = await agent.waitForStdout(/Seatwatch agent \S+ running\. Local page: \S+/, 60_000);
    // The notice from the policy page reached the operator before the agent said it collects.
    const printed = agent.stdout();
    expect(printed.indexOf(NOTICE)).toBeGreaterThanOrEqual(0);
    expect(printed.indexOf(NOTICE)).toBeLessThan(printed.indexOf(running));

    // Live: the board was loaded before the agent existed.
    await expect.poll(() => tile.getAttribute('data-state'), { timeout: 20_000 }).toBe('active');
    // The seat is active from its hello; its application arrives with the first activity sample
    // after the notice, seconds later on a loaded machine.
    await expect.poll(() => tile.getByTestId('seat-app').textContent(), { timeout: 20_000 }).toBe('XTerm');
    expect(await tile.getByTestId('seat-operator').textContent()).toBe(os.userInfo().username);
    await shot('08-board-live-seat');

    await tile.click();
    const title = page.getByTestId('span-title').filter({ hasText: HOSTILE_TITLE });
    await title.first().waitFor();
    expect(await title.first().textContent()).toBe(HOSTILE_TITLE);
    expect(await page.getByTestId('detail-app').textContent()).toBe('XTerm');
    expect(await page.locator('dt:text-is("Notice version shown") + dd').textContent()).toBe('2');
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await shot('09-seat-detail');
  }, 90_000);

  it('capture now brings a new screenshot of the seat’s screen into the page', async () => {
    // The policy's first scheduled screenshot is minutes away: this one is the seat's first.
    await page.getByText('No screenshots today.').waitFor();
    await page.getByRole('button', { name: 'Capture now' }).click();
    await page.getByTestId('capture-arrived').waitFor({ timeout: 30_000 });
    const captured = page.getByTestId('captured-screenshot');
    expect(await captured.locator('figcaption').textContent()).toContain('on request');
    // The collector's thumbnail of the agent's 1280×800 JPEG of the Xvfb screen.
    await expect
      .poll(() =>
        captured.locator('img').evaluate((img) => {
          const { naturalWidth, naturalHeight } = img as unknown as {
            naturalWidth: number;
            naturalHeight: number;
          };
          return naturalWidth > 0 ? naturalWidth / naturalHeight : 0;
        }),
      )
      .toBeCloseTo(1280 / 800, 1);
    await shot('10-capture-now');
  }, 60_000);

  it('an anomaly appears in the alerts feed live when the operator opens a prohibited window', async () => {
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByTestId('alert-list').waitFor({ state: 'attached' });
    const prohibited = page.locator('[data-testid="alert"][data-rule="prohibited_app"]');
    expect(await prohibited.count()).toBe(0);

    await desktop.openWindow(PROHIBITED_TITLE);
    await prohibited.first().waitFor({ timeout: 20_000 });
    expect(await prohibited.count()).toBe(1);
    expect(await prohibited.first().getByTestId('alert-summary').textContent()).toBe(
      'Prohibited app: solitaire (XTerm)',
    );
    expect(await prohibited.first().getByRole('link', { name: 'desk-07' }).count()).toBe(1);
    await shot('11-alerts-live');
  }, 60_000);

  it('administration: makes a supervisor with a setup link', async () => {
    await page.getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('link', { name: 'Users and roles' }).click();
    await page.getByLabel('User name').fill('mei.supervisor');
    await page.getByLabel('Role').selectOption('supervisor');
    await page.getByRole('button', { name: 'Add role' }).click();
    await page.getByRole('button', { name: 'Create and make a setup link' }).click();
    const link = await page.getByTestId('setup-link').inputValue();
    expect(link).toMatch(/\/setup#token=[A-Za-z0-9_-]{43}$/);
    // The list reloads after the answer that carries the link.
    await expect
      .poll(() => page.locator('[data-testid="user-row"][data-username="mei.supervisor"]').count())
      .toBe(1);
    await shot('12-admin-users');
  });

  it('speaks Simplified Chinese', async () => {
    await page.getByRole('link', { name: 'Board', exact: true }).click();
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '座席看板' }).waitFor();
    await shot('13-board-zh-CN');
    await page.getByLabel('语言').selectOption('en');
  });
});
