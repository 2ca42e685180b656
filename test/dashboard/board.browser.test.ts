/**
 * The board and alerts of issue #13 in Debian's Chromium (playwright-core)
 * against a real collector on PostgreSQL serving the built web app: counts
 * per state that filter the board and follow the live stream, the sort
 * orders, arrow keys between tiles and Enter to open one, window titles
 * where the seat's policy shows them, and an alert worded in Chinese for a
 * zh-CN viewer. Seats report through real protocol sockets. Page
 * screenshots go to test-artifacts/board/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICY, desktopSessionLifecycle, type Event } from '@seatwatch/shared';
import type { ProjectPolicy } from '@seatwatch/shared/dashboard-api';
import { builtWebApp, chromiumLaunchOptions } from '@seatwatch/testkit/browser';
import { completeSetup, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  enrollTestAgent,
  startTestServer,
  TestAgentClient,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What the page functions below use of the browser: this package's TypeScript has no DOM library.
interface PageElement {
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { readonly top: number };
  readonly tagName: string;
}
declare const document: { readonly activeElement: PageElement | null };
declare function getComputedStyle(element: unknown): {
  readonly outlineWidth: string;
  readonly outlineStyle: string;
};

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/board');
const VIEWPORT = { width: 1280, height: 900 };
const TILE = '[data-testid="seat-tile"]';

let db: TestDatabase;
let server: TestServer;
let browser: Browser;
let admin: SignedIn;
const clients = new Map<string, TestAgentClient>();
const seq = new Map<string, number>();
const seatIds: Record<string, string> = {};

/** A seat with a connected agent that reports `events`; its id is kept under its name. */
async function reportingSeat(projectId: string, name: string, events: (now: number) => Event[]) {
  const created = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, { name });
  seatIds[name] = created.id;
  // An operator of their own per seat: one OS user active on two seats is an alert (concurrent_login).
  const osUser = `op-${name}`;
  const agent = await enrollTestAgent(server, { projectId, hostname: name, osUser });
  const client = await TestAgentClient.connect(server, agent);
  clients.set(name, client);
  await client.hello({ info: { ...client.helloPayload().info, osUser } });
  await send(name, events(Date.now()));
}

async function send(name: string, events: Event[]) {
  const client = clients.get(name)!;
  const next = (seq.get(name) ?? 0) + 1;
  seq.set(name, next);
  client.sendBatch(next, events);
  await client.ack(next);
}

const status = (time: number, state: 'active' | 'idle' | 'locked'): Event => ({
  type: 'status',
  time,
  state,
  idleMs: state === 'active' ? 0 : 300_000,
});
const activity = (time: number, app: string, title: string): Event => ({
  type: 'activity',
  time: time - 1000,
  end: time,
  app,
  title,
});

async function contextFor(locale: string, viewport = VIEWPORT): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, locale });
  const [name, value] = admin.cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: server.url }]);
  return context;
}

const tileOf = (page: Page, name: string) => page.locator(`${TILE}[data-seat-id="${seatIds[name]}"]`);
const count = (page: Page, state: string) =>
  page.locator(`[data-testid="state-count"][data-state="${state}"] [data-testid="state-count-value"]`);
const shownSeats = (page: Page) =>
  page
    .locator(TILE)
    .evaluateAll((tiles) =>
      (tiles as unknown as PageElement[]).map((tile) => tile.getAttribute('data-seat-id')),
    );
const nameOf = (id: string | null | undefined) =>
  Object.entries(seatIds).find(([, each]) => each === id)?.[0];

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!builtWebApp()) {
    execFileSync('pnpm', ['--filter', '@seatwatch/dashboard', 'build'], { stdio: 'ignore' });
  }
  db = await createTestDatabase('postgres');
  server = await startTestServer({ database: db });
  const first = await server.app.seatwatch.accounts.ensureFirstAdministrator();
  admin = await completeSetup(server, first!.username, first!.token);

  const floor = await createTestProject(server, { name: 'Floor' });
  await reportingSeat(floor.projectId, 'desk-01', (now) => [
    status(now - 5000, 'active'),
    activity(now - 2000, 'crm', 'Ticket 4711'),
  ]);
  await reportingSeat(floor.projectId, 'desk-02', (now) => [
    status(now - 60_000, 'idle'),
    activity(now - 2000, 'mail', 'Inbox'),
  ]);
  await reportingSeat(floor.projectId, 'desk-03', (now) => [status(now - 3000, 'locked')]);
  // An operator plugs in a USB stick: the usb_storage rule opens an alert on the seat.
  await reportingSeat(floor.projectId, 'desk-04', (now) => [
    status(now - 4000, 'active'),
    activity(now - 2000, 'crm', 'Ticket 4712'),
    {
      type: 'device_attached',
      time: now - 1000,
      device: {
        id: 'usb-1-2',
        vendorId: '0781',
        productId: '5581',
        name: 'SanDisk Ultra',
        manufacturer: 'SanDisk',
        serial: 'AB123',
        deviceClass: 'mass_storage',
        massStorage: true,
      },
    },
  ]);
  // No agent yet: offline.
  seatIds['desk-05'] = (
    await server.adminOk<{ id: string }>('POST', `/projects/${floor.projectId}/seats`, { name: 'desk-05' })
  ).id;

  // A project whose policy keeps window titles off the board.
  const quiet = await createTestProject(server, { name: 'Quiet floor' });
  const stored = await server.adminOk<ProjectPolicy>('GET', `/projects/${quiet.projectId}/policy`);
  await server.adminOk('PUT', `/projects/${quiet.projectId}/policy`, {
    policy: { ...DEFAULT_POLICY, ...stored.policy, showWindowTitles: false },
    noticeText: stored.notice.text,
  });
  await reportingSeat(quiet.projectId, 'desk-q1', (now) => [
    status(now - 5000, 'active'),
    activity(now - 2000, 'crm', 'Secret ticket title'),
  ]);

  browser = await chromium.launch(chromiumLaunchOptions());
}, 180_000);

afterAll(async () => {
  for (const client of clients.values()) await client.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  await db?.close();
}, 60_000);

describe('the board in Chromium', () => {
  it('counts seats per state, filters by a count (in the URL), and the counts follow the live stream', async () => {
    const context = await contextFor('en-US');
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    await expect.poll(() => count(page, 'alert').textContent(), { timeout: 20_000 }).toBe('1');
    expect(await count(page, 'active').textContent()).toBe('3');
    expect(await count(page, 'idle').textContent()).toBe('1');
    expect(await count(page, 'locked').textContent()).toBe('1');
    expect(await count(page, 'offline').textContent()).toBe('1');
    expect(await count(page, 'silent').textContent()).toBe('0');
    await page.screenshot({ path: join(ARTIFACTS, 'board.png'), fullPage: true });

    const idle = page.locator('[data-testid="state-count"][data-state="idle"]');
    await idle.click();
    await expect.poll(() => shownSeats(page).then((ids) => ids.map(nameOf))).toEqual(['desk-02']);
    expect(await idle.getAttribute('aria-pressed')).toBe('true');
    expect(new URL(page.url()).searchParams.get('state')).toBe('idle');

    // The filter is in the URL: a reload keeps it.
    await page.reload();
    await expect
      .poll(() => shownSeats(page).then((ids) => ids.map(nameOf)), { timeout: 20_000 })
      .toEqual(['desk-02']);

    // desk-01 goes idle: the count and the filtered board change without a reload.
    await send('desk-01', [status(Date.now(), 'idle')]);
    await expect.poll(() => count(page, 'idle').textContent(), { timeout: 20_000 }).toBe('2');
    expect(await count(page, 'active').textContent()).toBe('2');
    await expect
      .poll(() => shownSeats(page).then((ids) => ids.map(nameOf).sort()))
      .toEqual(['desk-01', 'desk-02']);

    // Pressing the count again shows every seat.
    await page.locator('[data-testid="state-count"][data-state="idle"]').click();
    await expect.poll(() => shownSeats(page).then((ids) => ids.length)).toBe(6);
    expect(new URL(page.url()).searchParams.has('state')).toBe(false);

    await page.locator('[data-testid="state-count"][data-state="alert"]').click();
    await expect.poll(() => shownSeats(page).then((ids) => ids.map(nameOf))).toEqual(['desk-04']);
    await send('desk-01', [status(Date.now(), 'active')]);
    await context.close();
  }, 120_000);

  it('sorts alerts first by default, then by time in state or by name', async () => {
    const context = await contextFor('en-US');
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    // The Floor seats share one group (no site, no team) with desk-q1.
    await expect
      .poll(() => shownSeats(page).then((ids) => ids[0]), { timeout: 20_000 })
      .toBe(seatIds['desk-04']);
    await page.getByTestId('board-sort').selectOption('name');
    await expect
      .poll(() => shownSeats(page).then((ids) => ids.map(nameOf)))
      .toEqual(['desk-01', 'desk-02', 'desk-03', 'desk-04', 'desk-05', 'desk-q1']);
    expect(new URL(page.url()).searchParams.get('sort')).toBe('name');
    await page.getByTestId('board-sort').selectOption('time');
    // desk-02 has been idle a minute, longer than any other seat has been in its state.
    await expect.poll(() => shownSeats(page).then((ids) => nameOf(ids[0]))).toBe('desk-02');
    await context.close();
  }, 90_000);

  it('moves between tiles with the arrow keys, shows the focus, and opens a seat with Enter', async () => {
    // Narrow enough that six tiles take two rows.
    const context = await contextFor('en-US', { width: 760, height: 900 });
    const page = await context.newPage();
    await page.goto(`${server.url}/?sort=name`);
    await expect.poll(() => shownSeats(page).then((ids) => ids.length), { timeout: 20_000 }).toBe(6);
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('data-seat-id') ?? null);

    // Tab reaches the tiles in order after the controls above them.
    await tileOf(page, 'desk-01').focus();
    await page.keyboard.press('ArrowRight');
    expect(nameOf(await focused())).toBe('desk-02');
    await page.keyboard.press('ArrowLeft');
    expect(nameOf(await focused())).toBe('desk-01');
    await page.keyboard.press('Tab');
    expect(nameOf(await focused())).toBe('desk-02');

    // Down goes to the tile below (the grid holds several tiles a row at this width).
    const perRow = await page.locator(TILE).evaluateAll((tiles) => {
      const tops = (tiles as unknown as PageElement[]).map((tile) =>
        Math.round(tile.getBoundingClientRect().top),
      );
      return tops.filter((top) => top === tops[0]).length;
    });
    expect(perRow).toBeGreaterThan(1);
    expect(perRow).toBeLessThan(6);
    await tileOf(page, 'desk-01').focus();
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe((await shownSeats(page))[perRow]);
    await page.keyboard.press('ArrowUp');
    expect(nameOf(await focused())).toBe('desk-01');
    await page.keyboard.press('End');
    expect(nameOf(await focused())).toBe('desk-q1');

    // The focused tile has a visible outline.
    const outline = await tileOf(page, 'desk-q1').evaluate((tile) => {
      const style = getComputedStyle(tile);
      return { width: style.outlineWidth, style: style.outlineStyle };
    });
    expect(outline).toEqual({ width: '3px', style: 'solid' });
    await page.screenshot({ path: join(ARTIFACTS, 'board-focus.png') });

    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/seats/${seatIds['desk-01']}`);
    await context.close();
  }, 90_000);

  it('shows window titles where the seat’s policy allows them, as the seat sent them', async () => {
    const context = await contextFor('en-US');
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    const title = tileOf(page, 'desk-04').getByTestId('seat-title');
    await expect.poll(() => title.textContent(), { timeout: 20_000 }).toBe('Ticket 4712');
    expect(await tileOf(page, 'desk-q1').getByTestId('seat-app').textContent()).toBe('crm');
    expect(await tileOf(page, 'desk-q1').getByTestId('seat-title').count()).toBe(0);
    expect(await page.getByText('Secret ticket title').count()).toBe(0);
    // The search reads titles too.
    await page.getByRole('searchbox').fill('ticket 4712');
    await expect.poll(() => shownSeats(page).then((ids) => ids.map(nameOf))).toEqual(['desk-04']);
    await context.close();
  }, 90_000);

  it('words an alert in the viewer’s language: Simplified Chinese', async () => {
    const context = await contextFor('zh-CN');
    const page = await context.newPage();
    await page.goto(`${server.url}/alerts`);
    const alert = page.locator('[data-testid="alert"][data-rule="usb_storage"]');
    const summary = alert.getByTestId('alert-summary');
    await expect
      .poll(() => summary.textContent(), { timeout: 20_000 })
      .toBe('接入了大容量存储设备：SanDisk Ultra');
    expect(await summary.getAttribute('data-code')).toBe('usb_storage');
    // The device name came from the seat: isolated like every seat string.
    expect(
      await alert
        .getByTestId('alert-param-device')
        .evaluate((element) => (element as unknown as PageElement).tagName),
    ).toBe('BDI');
    expect(await alert.locator('.badge').textContent()).toBe('高');
    await page.screenshot({ path: join(ARTIFACTS, 'alerts-zh-CN.png'), fullPage: true });
    await context.close();
  }, 90_000);

  // Last: its seat is in a project of its own, but the board shows every project to the administrator.
  it('names every operator with a desktop session open on a shared seat, each as untrusted text, and follows them live', async () => {
    const shared = await createTestProject(server, { name: 'Shared floor' });
    const name = 'shared-01';
    seatIds[name] = (
      await server.adminOk<{ id: string }>('POST', `/projects/${shared.projectId}/seats`, { name })
    ).id;
    const agent = await enrollTestAgent(server, {
      projectId: shared.projectId,
      hostname: name,
      osUser: 'root',
    });
    const client = await TestAgentClient.connect(server, agent);
    clients.set(name, client);
    // A machine service: its hello names no one; each event's account is named by the network event before it.
    await client.hello({ info: { ...client.helloPayload().info, osUser: '' } });
    const as = (osUser: string): Event => ({
      type: 'network',
      time: Date.now(),
      hostname: name,
      osUser,
      localIps: [],
      gateway: null,
    });
    // An account name with a right-to-left override: shown with the control revealed, never applied.
    const hostile = 'b\u202Eob.exe';
    await send(name, [
      as('root'),
      {
        type: 'lifecycle',
        time: Date.now(),
        phase: 'starting',
        reason: 'start',
        detail: 'pid 1',
        agentVersion: '0.1.0',
      },
      as('ada'),
      desktopSessionLifecycle('starting', Date.now(), '0.1.0'),
      as(hostile),
      desktopSessionLifecycle('starting', Date.now(), '0.1.0'),
    ]);

    const context = await contextFor('en-US');
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    const operators = tileOf(page, name).getByTestId('seat-operator');
    await expect
      .poll(() => operators.allTextContents(), { timeout: 20_000 })
      .toEqual(['ada', 'b⟨U+202E⟩ob.exe']);
    expect((await operators.allTextContents()).join('')).not.toContain('\u202E');

    // Ada logs off: the tile follows the live stream.
    await send(name, [as('ada'), desktopSessionLifecycle('stopping', Date.now(), '0.1.0')]);
    await expect.poll(() => operators.allTextContents(), { timeout: 20_000 }).toEqual(['b⟨U+202E⟩ob.exe']);
    await page.screenshot({ path: join(ARTIFACTS, 'shared-seat-operators.png') });
    await context.close();
  }, 90_000);
});
