/**
 * The visual timeline, the seat picker and the team reports in Debian's
 * Chromium (playwright-core) against a real collector on PostgreSQL serving
 * the built web app. One seat has 60 days of history made in SQL (a span
 * every 5 minutes of an 8-hour shift, status changes, screenshots, USB
 * events, hellos, anomalies) and one long span with a formula-like title;
 * other seats sit in other sites and teams for the picker to find.
 * Page screenshots go to test-artifacts/timeline/.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtWebApp, chromiumLaunchOptions } from '@seatwatch/testkit/browser';
import { asUser, createSignedInUser, type SignedIn } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  enrollTestAgent,
  seedSeatHistory,
  startTestServer,
  type TestDatabase,
  type TestServer,
} from '@seatwatch/testkit/server';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts/timeline');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const DAYS = 60;
/** Day 0 is 60 days before today, midnight UTC; the browser runs in UTC so the inputs are UTC too. */
const FIRST = Math.floor(Date.now() / DAY) * DAY - DAYS * DAY;
/** A long evening span on day 30 (outside the seeded 08:00–16:00 shift), wide enough to click at 60 days. */
const LONG = { start: FIRST + 30 * DAY + 17 * HOUR, end: FIRST + 30 * DAY + 23 * HOUR };
const LONG_TITLE = '=HYPERLINK("http://example.com") long call';

let db: TestDatabase;
let server: TestServer;
let browser: Browser;
let investigator: SignedIn;
let supervisor: SignedIn;
let teamId = '';
let projectId = '';

const localInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

async function contextFor(user: SignedIn): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 1000 },
    locale: 'en-US',
    timezoneId: 'UTC',
    acceptDownloads: true,
  });
  const [name, value] = user.cookie.split('=') as [string, string];
  await context.addCookies([{ name, value, url: server.url }]);
  return context;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  if (!builtWebApp()) {
    execFileSync('pnpm', ['--filter', '@seatwatch/dashboard', 'build'], { stdio: 'ignore' });
  }
  db = await createTestDatabase('postgres');
  server = await startTestServer({ database: db });
  const pool = db.database.pool!;
  const query = (text: string, params: unknown[]) => pool.query(text, params);
  projectId = (await createTestProject(server, { name: 'Timeline floor' })).projectId;
  const site = async (name: string) =>
    (await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/sites`, { name })).id;
  const team = async (name: string, siteId: string) =>
    (await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/teams`, { name, siteId })).id;
  const berlin = await site('Berlin');
  const lisbon = await site('Lisbon');
  teamId = await team('Billing', berlin);
  const claims = await team('Claims', lisbon);
  const seat = async (name: string, siteId: string, team: string) =>
    (
      await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/seats`, {
        name,
        siteId,
        teamId: team,
      })
    ).id;
  const seatId = await seat('desk-visual', berlin, teamId);
  for (let i = 0; i < 12; i++) await seat(`desk-claims-${i}`, lisbon, claims);
  await seat('desk-billing-2', berlin, teamId);
  const agent = await enrollTestAgent(server, { projectId, hostname: 'desk-visual' });
  await seedSeatHistory(query, {
    projectId,
    agentId: agent.agentId,
    seatId,
    firstDay: FIRST,
    days: DAYS,
    spanEverySeconds: 300,
  });
  await query(
    `insert into activity_spans (project_id, agent_id, seat_id, started_at, ended_at, app, title, seq)
     values ($1, $2, $3, $4, $5, 'Softphone', $6, 99999999)`,
    [projectId, agent.agentId, seatId, new Date(LONG.start), new Date(LONG.end), LONG_TITLE],
  );
  await query(
    `insert into anomaly_shift_schedules (team_id, project_id, time_zone, weekly, exceptions)
     values ($1, $2, 'UTC', $3::jsonb, '[]'::jsonb)`,
    [
      teamId,
      projectId,
      JSON.stringify([1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: '08:00', end: '16:00' }))),
    ],
  );
  await query('analyze', []);
  investigator = await createSignedInUser(server, 'inv', [{ role: 'investigator', projectId, teamId: null }]);
  supervisor = await createSignedInUser(server, 'sup', [{ role: 'supervisor', projectId, teamId }]);
  browser = await chromium.launch(chromiumLaunchOptions());
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await db?.close();
});

async function viewOf(page: Page): Promise<{ from: number; to: number }> {
  const view = page.getByTestId('timeline-view');
  return {
    from: Number(await view.getAttribute('data-from')),
    to: Number(await view.getAttribute('data-to')),
  };
}

describe('visual timeline and reports in Chromium', () => {
  it('the seat picker finds seats by name, site or team, grouped', async () => {
    const context = await contextFor(investigator);
    const page = await context.newPage();
    await page.goto(`${server.url}/investigation/timeline`);
    const picker = page.getByTestId('seat-picker');
    // The first page of the file: under load the app and its seat list take a while to arrive.
    await expect.poll(() => picker.locator('input[type=checkbox]').count(), { timeout: 30_000 }).toBe(14);
    await picker.getByPlaceholder('Find a seat, site or team').fill('lisbon');
    await expect.poll(() => picker.locator('input[type=checkbox]').count()).toBe(12);
    expect(await picker.locator('.seat-group legend').allInnerTexts()).toEqual(['Lisbon · Claims']);
    await picker.getByPlaceholder('Find a seat, site or team').fill('billing visual');
    await expect.poll(() => picker.locator('input[type=checkbox]').count()).toBe(1);
    await picker.getByLabel('desk-visual').check();
    // The chosen seat stays chosen, as a chip, when the search changes.
    await picker.getByPlaceholder('Find a seat, site or team').fill('claims-3');
    expect(await picker.getByRole('list', { name: 'Chosen seats' }).textContent()).toContain('desk-visual');
    await context.close();
  }, 60_000);

  it('draws 60 days of one seat, zooms with the wheel and buttons, and opens a span', async () => {
    const context = await contextFor(investigator);
    const page = await context.newPage();
    await page.goto(`${server.url}/investigation/timeline`);
    const picker = page.getByTestId('seat-picker');
    await picker.getByPlaceholder('Find a seat, site or team').fill('desk-visual');
    await picker.getByLabel('desk-visual').check();
    await page.getByLabel('From', { exact: true }).fill(localInput(FIRST));
    await page.getByLabel('To', { exact: true }).fill(localInput(FIRST + DAYS * DAY));
    await page.getByPlaceholder('Why you need to see this (recorded)').fill('Quality review of 60 days');
    const started = Date.now();
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const canvas = page.getByTestId('timeline-canvas');
    await canvas.waitFor();
    await expect
      .poll(() => page.getByText('Loading the whole range for the visual timeline…').count(), {
        timeout: 60_000,
      })
      .toBe(0);
    const loadedMs = Date.now() - started;
    expect(await page.getByTestId('timeline-range').textContent()).toContain('desk-visual');
    expect(await viewOf(page)).toEqual({ from: FIRST, to: FIRST + DAYS * DAY });
    await page.locator('.visual-timeline').screenshot({ path: join(ARTIFACTS, 'timeline-60-days.png') });

    // The canvas is drawn: pixels of the activity lane differ from the background.
    const painted = await canvas.evaluate((element) => {
      const c = element as unknown as {
        width: number;
        getContext(kind: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: number[] };
        };
      };
      const data = c.getContext('2d').getImageData(0, 0, c.width, 200).data;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4)
        if (data[i]! !== data[i + 1]! || data[i + 1]! !== data[i + 2]!) coloured++;
      return coloured;
    });
    expect(painted).toBeGreaterThan(1000);

    // At the whole range the canvas draws the server's summary (one request for the range).
    expect(await canvas.getAttribute('data-source')).toBe('summary');
    // Clicking the long span at the whole range opens its bucket: the application with most of its time.
    const box = (await canvas.boundingBox())!;
    const clickAt = async (time: number) => {
      const view = await viewOf(page);
      const x = ((time - view.from) / (view.to - view.from)) * box.width;
      // The first seat's activity lane: axis 22 px, gap 14 px, lane 22 px high.
      await canvas.click({ position: { x, y: 22 + 14 + 11 } });
    };
    await clickAt((LONG.start + LONG.end) / 2);
    const detail = page.getByTestId('timeline-detail');
    await expect.poll(() => detail.getAttribute('data-kind')).toBe('spans');
    expect(await detail.getByTestId('detail-app').textContent()).toBe('Softphone');

    // The wheel zooms in around the pointer.
    const before = await viewOf(page);
    await page.mouse.move(box.x + box.width / 2, box.y + 40);
    await page.mouse.wheel(0, -300);
    await expect
      .poll(async () => (await viewOf(page)).to - (await viewOf(page)).from)
      .toBeLessThan(before.to - before.from);
    // The buttons zoom too, down to a single working day, where each span is its own block.
    await page.getByRole('button', { name: 'Whole range' }).click();
    for (let i = 0; i < 6; i++) await page.getByRole('button', { name: 'Zoom in' }).click();
    const day = await viewOf(page);
    expect(day.to - day.from).toBeLessThan(DAY);
    expect(day.to - day.from).toBeGreaterThan(HOUR);
    // Six halvings around the middle (midnight starting day 30) show 12:45 on day 29 to 11:15 on day 30;
    // the seeded span at 14:00 on day 29 (one every 5 minutes from 08:00, 250 s long) opens at its middle.
    expect(day).toEqual({
      from: FIRST + 30 * DAY - (DAYS * DAY) / 128,
      to: FIRST + 30 * DAY + (DAYS * DAY) / 128,
    });
    // Zoomed in this far the canvas reads the detail of the visible range (and a little around it) and
    // draws each span.
    await expect.poll(() => canvas.getAttribute('data-detail'), { timeout: 30_000 }).toBe('ready');
    expect(await canvas.getAttribute('data-source')).toBe('detail');
    await clickAt(FIRST + 29 * DAY + 14 * HOUR + 125_000);
    await expect.poll(() => detail.getAttribute('data-kind')).toBe('span');
    expect(await detail.getByTestId('detail-title').textContent()).toBe(
      `Ticket #${29 * 1000 + Math.floor(72 / 5)} – customer ${md5(String(29 * 1000 + 72)).slice(0, 12)}`,
    );
    // Panning keeps the width and moves the window later.
    await page.getByRole('button', { name: 'Later →' }).click();
    const later = await viewOf(page);
    expect(later.to - later.from).toBe(day.to - day.from);
    expect(later.from).toBeGreaterThan(day.from);
    // The long evening span, in detail now: its title shown as text.
    for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Later →' }).click();
    await expect.poll(() => canvas.getAttribute('data-detail'), { timeout: 30_000 }).toBe('ready');
    await clickAt((LONG.start + LONG.end) / 2);
    await expect.poll(() => detail.getAttribute('data-kind')).toBe('span');
    expect(await detail.getByTestId('detail-title').textContent()).toBe(LONG_TITLE);
    expect(await detail.getByTestId('detail-app').textContent()).toBe('Softphone');
    await page.locator('.visual-timeline').screenshot({ path: join(ARTIFACTS, 'timeline-zoomed.png') });
    console.log(`visual timeline: 60 days of one seat loaded and drawn in ${loadedMs} ms`);
    await context.close();
  }, 120_000);

  it('a case names the seat of a time range and shows the range in local time', async () => {
    const created = await asUser<{ case: { id: string } }>(
      server,
      investigator,
      'POST',
      '/api/v1/investigation/cases',
      {
        projectId,
        title: 'Evening calls',
      },
    );
    expect(created.status).toBe(201);
    const context = await contextFor(investigator);
    const page = await context.newPage();
    await page.goto(`${server.url}/investigation/cases/${created.body.case.id}`);
    const picker = page.getByTestId('seat-picker');
    await picker.getByPlaceholder('Find a seat, site or team').fill('desk-visual');
    await picker.getByLabel('desk-visual').check();
    await page.getByLabel('From', { exact: true }).fill(localInput(LONG.start));
    await page.getByLabel('To', { exact: true }).fill(localInput(LONG.end));
    await page.getByRole('button', { name: 'Add time range' }).click();
    const range = page.getByTestId('case-range');
    await range.waitFor();
    const local = new Intl.DateTimeFormat('en-US', {
      dateStyle: 'medium',
      timeStyle: 'medium',
      timeZone: 'UTC',
    });
    expect(await range.textContent()).toBe(
      `desk-visual · ${local.format(LONG.start)} – ${local.format(LONG.end)}`,
    );
    await context.close();
  }, 60_000);

  it('a supervisor reads a team report with charts, downloads its CSV and prints it', async () => {
    const context = await contextFor(supervisor);
    const page = await context.newPage();
    await page.goto(`${server.url}/reports`);
    const date = isoDate(FIRST + 10 * DAY);
    await page.getByLabel('First day').fill(date);
    await page.getByRole('button', { name: 'Show report' }).click();
    const report = page.getByTestId('team-report');
    await report.waitFor();
    // Two uPlot charts, each a canvas.
    await expect.poll(() => report.locator('[data-testid=chart-hours] canvas').count()).toBeGreaterThan(0);
    await expect.poll(() => report.locator('[data-testid=chart-apps] canvas').count()).toBeGreaterThan(0);
    const rows = await report.getByTestId('report-seats').locator('tbody tr').allInnerTexts();
    expect(rows).toHaveLength(2);
    // desk-visual: 20 status changes every 24 minutes from 08:00 (active, idle, locked in turn), shift 08–16.
    expect(rows[1]).toMatch(/^desk-visual\s+8\s+/);
    expect(await report.getByTestId('report-alerts').textContent()).toContain('usb_storage (high): 2');
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      report.getByTestId('report-csv').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`seatwatch-Billing-day-${date}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]).toBe(
      'seat,scheduled_h,active_h,idle_h,locked_h,offline_h,active_off_shift_h,utilization_pct,adherence_pct',
    );
    expect(csv.some((line) => line.startsWith('desk-visual,8,'))).toBe(true);

    // Printed, the page loses its navigation and controls.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.topbar').isVisible()).toBe(false);
    expect(await report.getByTestId('report-csv').isVisible()).toBe(false);
    expect(await report.getByTestId('report-seats').isVisible()).toBe(true);
    await page.pdf({ path: join(ARTIFACTS, 'report.pdf') });
    await context.close();
  }, 60_000);
});
