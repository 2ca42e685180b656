/**
 * Untrusted seat text and the silent state (issue #13), in Debian's Chromium
 * (playwright-core) against a real collector on PostgreSQL serving the built
 * web app. Two seats report through real protocol sockets: one whose
 * application is "\u202Eexe.tset" (it would show as "test.exe") with a
 * 10 kB window title, and one that connects, says it is active and then
 * sends nothing. The collector's clock runs a minute ahead when the test
 * says so and its timer rules run when the test calls them, so nothing
 * sleeps. Page screenshots go to test-artifacts/untrusted-text/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Event } from '@seatwatch/shared';
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
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What the page functions below use of the browser: this package's TypeScript has no DOM library.
interface TextNode {
  readonly textContent: string | null;
}
declare const document: {
  readonly documentElement: { readonly scrollWidth: number };
  createTreeWalker(root: unknown, show: number): { nextNode(): TextNode | null };
  createRange(): {
    setStart(node: TextNode, offset: number): void;
    setEnd(node: TextNode, offset: number): void;
    getBoundingClientRect(): { readonly left: number };
  };
};
declare const NodeFilter: { readonly SHOW_TEXT: number };
declare const window: { readonly innerWidth: number };
declare function getComputedStyle(element: unknown): {
  readonly unicodeBidi: string;
  readonly color: string;
  readonly backgroundColor: string;
};

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/untrusted-text');
const SPOOFED_APP = '\u202Eexe.tset';
const SHOWN_APP = '⟨U+202E⟩exe.tset';
/** 10 kB without a single break opportunity: the worst case for a table column. */
const LONG_TITLE = `Q${'x'.repeat(10_239)}`;
const VIEWPORT = { width: 1280, height: 860 };

let db: TestDatabase;
let server: TestServer;
let browser: Browser;
let page: Page;
let admin: SignedIn;
/** How far the collector's clock runs ahead of the real one. */
let ahead = 0;
const clients: TestAgentClient[] = [];
const seatIds = { spoofed: '', quiet: '' };

async function seat(projectId: string, name: string, events: (now: number) => Event[]) {
  const created = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, { name });
  const agent = await enrollTestAgent(server, { projectId, hostname: name });
  const client = await TestAgentClient.connect(server, agent);
  clients.push(client);
  await client.hello({ info: { ...client.helloPayload().info, osUser: 'op\u202Eevil' } });
  client.sendBatch(1, events(Date.now()));
  await client.ack(1);
  return created.id;
}

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!builtWebApp()) {
    execFileSync('pnpm', ['--filter', '@seatwatch/dashboard', 'build'], { stdio: 'ignore' });
  }
  db = await createTestDatabase('postgres');
  server = await startTestServer({
    database: db,
    now: () => Date.now() + ahead,
    // The timer rules run only when the test calls tick().
    anomalies: { engine: { tickMs: 0 } },
  });
  const first = await server.app.seatwatch.accounts.ensureFirstAdministrator();
  admin = await completeSetup(server, first!.username, first!.token);
  const { projectId } = await createTestProject(server, { name: 'Floor' });
  seatIds.spoofed = await seat(projectId, 'desk-spoof', (now) => [
    { type: 'status', time: now - 2000, state: 'active', idleMs: 0 },
    { type: 'activity', time: now - 2000, end: now - 1000, app: SPOOFED_APP, title: LONG_TITLE },
  ]);
  seatIds.quiet = await seat(projectId, 'desk-quiet', (now) => [
    { type: 'status', time: now - 2000, state: 'active', idleMs: 0 },
    { type: 'activity', time: now - 2000, end: now - 1000, app: 'crm', title: 'Ticket 1' },
  ]);
  browser = await chromium.launch(chromiumLaunchOptions());
  const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US' });
  const [name, value] = admin.cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: server.url }]);
  page = await context.newPage();
}, 180_000);

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => undefined);
  await browser?.close();
  await server?.close();
  await db?.close();
}, 60_000);

/** Whether the first character of `text` inside the element is drawn left of its last one. */
function drawnLeftToRight(page: Page, selector: string, text: string): Promise<boolean> {
  return page.locator(selector).evaluate((element, wanted) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent?.indexOf(wanted) ?? -1;
      if (at < 0) continue;
      const box = (from: number) => {
        const range = document.createRange();
        range.setStart(node!, from);
        range.setEnd(node!, from + 1);
        return range.getBoundingClientRect().left;
      };
      return box(at) < box(at + wanted.length - 1);
    }
    throw new Error(`no text node holds ${wanted}`);
  }, text);
}

describe('untrusted seat text and the silent state in Chromium', () => {
  it('the board shows the override as a marker, in logical order, and the seat page stays in the viewport', async () => {
    await page.goto(`${server.url}/`);
    const tile = page.locator(`[data-testid="seat-tile"][data-seat-id="${seatIds.spoofed}"]`);
    const app = tile.getByTestId('seat-app');
    await expect.poll(() => app.textContent(), { timeout: 20_000 }).toBe(SHOWN_APP);
    expect(await tile.getByTestId('seat-operator').textContent()).toBe('op⟨U+202E⟩evil');
    // No override reaches the page, and "exe.tset" is drawn as written, not reversed into "test.exe".
    expect(await tile.evaluate((element) => (element as TextNode).textContent?.includes('\u202E'))).toBe(
      false,
    );
    expect(
      await drawnLeftToRight(
        page,
        `[data-seat-id="${seatIds.spoofed}"] [data-testid="seat-app"]`,
        'exe.tset',
      ),
    ).toBe(true);
    expect(await app.evaluate((element) => getComputedStyle(element).unicodeBidi)).toBe('isolate');
    expect(await app.getAttribute('title')).toBe(SHOWN_APP);
    await page.screenshot({ path: join(ARTIFACTS, 'board.png'), fullPage: true });

    await tile.click();
    const title = page.getByTestId('span-title').first();
    await title.waitFor();
    // Storage cut the 10 kB title to 1,024 code points; the hover shows all of what was kept.
    const full = await title.getAttribute('title');
    expect(full).toHaveLength(1024);
    expect(full!.startsWith('Qxxx')).toBe(true);
    expect(full!.endsWith('…')).toBe(true);
    expect(await page.getByTestId('detail-app').textContent()).toBe(SHOWN_APP);
    expect(await page.getByTestId('span-app').first().textContent()).toBe(SHOWN_APP);
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
    }));
    expect(widths.scroll).toBeLessThanOrEqual(widths.viewport);
    // The title column is a readable width, not one character.
    expect((await title.boundingBox())!.width).toBeGreaterThan(150);
    await page.screenshot({ path: join(ARTIFACTS, 'seat-page.png'), fullPage: true });
  }, 90_000);

  it('a connected seat that stops sending reads "Silent", never "Active", on the board and the seat page', async () => {
    await page.goto(`${server.url}/`);
    const tile = page.locator(`[data-testid="seat-tile"][data-seat-id="${seatIds.quiet}"]`);
    const chip = tile.locator('.state-pill');
    await expect.poll(() => chip.textContent(), { timeout: 20_000 }).toBe('Active');

    // A minute passes without a frame (past three 15 s heartbeats); the timer rules look.
    ahead += 60_000;
    const engine = server.app.anomalies.engine!;
    await engine.tick();
    await engine.idle();

    await expect.poll(() => tile.getAttribute('data-state'), { timeout: 20_000 }).toBe('silent');
    expect(await chip.textContent()).toBe('Silent');
    // The chip's colours pass WCAG AA for small text.
    const contrast = await chip.evaluate((element) => {
      const style = getComputedStyle(element);
      const rgb = (value: string) =>
        value
          .match(/\d+(\.\d+)?/g)!
          .slice(0, 3)
          .map(Number);
      const luminance = (value: string) => {
        const [r, g, b] = rgb(value).map((c) => {
          const s = c / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        }) as [number, number, number];
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const [light, dark] = [luminance(style.backgroundColor), luminance(style.color)].sort((a, b) => b - a);
      return (light! + 0.05) / (dark! + 0.05);
    });
    expect(contrast).toBeGreaterThanOrEqual(4.5);
    await page.screenshot({ path: join(ARTIFACTS, 'board-silent.png'), fullPage: true });

    await tile.click();
    const seatChip = page.locator('.seat-head .state-pill');
    await expect.poll(() => seatChip.textContent(), { timeout: 20_000 }).toBe('Silent');
    await page.screenshot({ path: join(ARTIFACTS, 'seat-silent.png'), fullPage: true });
  }, 90_000);
});
