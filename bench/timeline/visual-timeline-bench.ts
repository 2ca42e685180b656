/**
 * Visual timeline benchmark (issue #13): time to interactive of the visual
 * timeline in Debian's Chromium for (A) one seat over 60 days and (B) a team
 * of 50 seats over one day, and how long one zoom step takes to redraw.
 *
 * A real collector on a fresh PostgreSQL database (127.0.0.1:5432), serving
 * the built web app. Rows are made in SQL (@seatwatch/testkit's
 * seedSeatHistory) at the default policy's rates for an 8-hour shift: a
 * span every 45 s (640 a day), 20 status changes, a screenshot row every
 * 5 minutes, 4 device events, 3 hellos, 2 anomalies a day. Seat A has 60
 * days (38,400 spans); each of the 50 team seats has the last day (32,000
 * spans in all).
 *
 * Time to interactive: from the click on "Show" to the visual timeline
 * drawn from the server's summary of the range (the loading line gone,
 * then two animation frames), measured in the page; the summary and the
 * lists' first page are the load's timeline requests (before the summary,
 * the visual timeline read every page of the range). Each run is a
 * fresh page (nothing cached). Then BENCH_ZOOMS zoom steps (the "Zoom in"
 * button, then back out): click to the next frame drawn.
 *
 * Run: pnpm --filter @seatwatch/dashboard build && pnpm --filter @seatwatch/bench visual-timeline
 *      (BENCH_RUNS=5 BENCH_ZOOMS=20 by default; JSON in bench/results/visual-timeline-*.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { builtWebApp, chromiumLaunchOptions } from '@seatwatch/testkit/browser';
import { createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import {
  createTestDatabase,
  createTestProject,
  enrollTestAgent,
  seedSeatHistory,
  startTestServer,
} from '@seatwatch/testkit/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { percentile, round } from '../timings/percentiles.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const ZOOMS = Number(process.env.BENCH_ZOOMS ?? 20);
const TEAM = 50;
const DAY = 86_400_000;

const localInput = (ms: number) => new Date(ms).toISOString().slice(0, 16);

/**
 * Page-side probes, as source text added before the page loads (tsx would give functions
 * helpers the page does not have). benchShow: click "Show", resolve when the whole range is
 * drawn (the loading line gone, then two animation frames). benchStep: click a button,
 * resolve at the second frame after it (the redraw happens in the first).
 */
const PROBES = `(() => {
  const button = (label) => [...document.querySelectorAll('button')].find((b) => b.textContent === label);
  const twoFrames = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  window.benchShow = () => new Promise((resolve) => {
    const started = performance.now();
    button('Show').click();
    const check = () => {
      const loading = [...document.querySelectorAll('p')].some((p) => p.textContent.startsWith('Loading the whole range'));
      if (!loading && document.querySelector('[data-testid="timeline-canvas"]')) {
        twoFrames().then(() => {
          const calls = performance.getEntriesByType('resource').filter((e) => /[/]investigation[/]timeline([/]summary)?$/.test(e.name));
          resolve({
            tti: performance.now() - started,
            // Waiting for the server (request sent to first byte) and reading the answers, over every call.
            serverMs: calls.reduce((sum, e) => sum + (e.responseStart - e.requestStart), 0),
            downloadMs: calls.reduce((sum, e) => sum + (e.responseEnd - e.responseStart), 0),
            bytes: calls.reduce((sum, e) => sum + e.encodedBodySize, 0),
          });
        });
      } else setTimeout(check, 5);
    };
    check();
  });
  window.benchStep = async (label) => {
    const started = performance.now();
    button(label).click();
    await twoFrames();
    return performance.now() - started;
  };
})()`;
interface Loaded {
  tti: number;
  serverMs: number;
  downloadMs: number;
  bytes: number;
}
type Probes = { benchShow(): Promise<Loaded>; benchStep(label: string): Promise<number> };

async function measure(
  browser: Browser,
  url: string,
  cookie: string,
  search: string,
  seats: number,
  from: number,
  to: number,
) {
  const tti: number[] = [];
  const loads: Loaded[] = [];
  const zooms: number[] = [];
  let requests = 0;
  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: 'UTC' });
    const [name, value] = cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url }]);
    await context.addInitScript(PROBES);
    const page: Page = await context.newPage();
    let timelineCalls = 0;
    page.on('request', (request) => {
      if (/\/api\/v1\/investigation\/timeline(\/summary)?$/.test(request.url())) timelineCalls++;
    });
    await page.goto(`${url}/investigation/timeline`);
    const picker = page.getByTestId('seat-picker');
    await picker.getByPlaceholder('Find a seat, site or team').fill(search);
    const boxes = picker.locator('input[type=checkbox]');
    while ((await boxes.count()) !== seats) await page.waitForTimeout(50);
    for (let i = 0; i < seats; i++) await boxes.nth(i).check();
    await page.getByLabel('From', { exact: true }).fill(localInput(from));
    await page.getByLabel('To', { exact: true }).fill(localInput(to));
    await page
      .getByPlaceholder('Why you need to see this (recorded)')
      .fill('Benchmark of the visual timeline');
    const loaded = await page.evaluate(() => (globalThis as unknown as Probes).benchShow());
    loads.push(loaded);
    tti.push(loaded.tti);
    requests = timelineCalls;
    for (let i = 0; i < ZOOMS; i++) {
      zooms.push(
        await page.evaluate(
          (label) => (globalThis as unknown as Probes).benchStep(label),
          i < ZOOMS / 2 ? 'Zoom in' : 'Zoom out',
        ),
      );
    }
    await context.close();
  }
  return {
    ttiMs: { p50: round(percentile(tti, 50)), max: round(Math.max(...tti)), all: tti.map(round) },
    // Summed over a load's timeline calls (they overlap: two run at once), p50 over the runs.
    serverWaitMs: round(
      percentile(
        loads.map((l) => l.serverMs),
        50,
      ),
    ),
    downloadMs: round(
      percentile(
        loads.map((l) => l.downloadMs),
        50,
      ),
    ),
    answerBytes: loads[0]?.bytes ?? 0,
    zoomRedrawMs: { p50: round(percentile(zooms, 50)), p95: round(percentile(zooms, 95)) },
    timelineRequestsPerLoad: requests,
  };
}

async function main() {
  if (!builtWebApp()) throw new Error('build the dashboard first: pnpm --filter @seatwatch/dashboard build');
  const loadAtStart = loadavg()[0]!;
  const db = await createTestDatabase('postgres');
  // 51 enrollments in a minute: above the default per-IP enrollment limit.
  const server = await startTestServer({
    database: db,
    config: { enrollRateLimit: { max: 1000, windowMs: 60_000 } },
  });
  const pool = db.database.pool!;
  const query = (text: string, params: unknown[]) => pool.query(text, params);
  let browser: Browser | null = null;
  try {
    const { projectId } = await createTestProject(server, { name: 'Visual timeline bench' });
    const team = await server.adminOk<{ id: string }>('POST', `/projects/${projectId}/teams`, {
      name: 'Floor',
    });
    const today = Math.floor(Date.now() / DAY) * DAY;
    const seeded = Date.now();
    const seatOf = async (hostname: string) => {
      const agent = await enrollTestAgent(server, { projectId, hostname });
      const { rows } = await pool.query<{ seat_id: string }>('select seat_id from agents where id = $1', [
        agent.agentId,
      ]);
      return { agentId: agent.agentId, seatId: rows[0]!.seat_id };
    };
    const long = await seatOf('desk-long');
    await seedSeatHistory(query, { projectId, ...long, firstDay: today - 60 * DAY, days: 60 });
    for (let i = 0; i < TEAM; i++) {
      const seat = await seatOf(`team-desk-${String(i).padStart(2, '0')}`);
      await pool.query('update seats set team_id = $1 where id = $2', [team.id, seat.seatId]);
      await seedSeatHistory(query, { projectId, ...seat, firstDay: today - DAY, days: 1 });
    }
    await pool.query('analyze');
    const seedSeconds = (Date.now() - seeded) / 1000;
    const investigator = await createSignedInUser(server, 'bench-investigator', [
      { role: 'investigator', projectId, teamId: null },
    ]);
    browser = await chromium.launch(chromiumLaunchOptions());
    const oneSeat = await measure(
      browser,
      server.url,
      investigator.cookie,
      'desk-long',
      1,
      today - 60 * DAY,
      today,
    );
    const teamDay = await measure(
      browser,
      server.url,
      investigator.cookie,
      'team-desk',
      TEAM,
      today - DAY,
      today,
    );
    const result = {
      at: new Date().toISOString(),
      runs: RUNS,
      seedSeconds: round(seedSeconds),
      loadAverage: { start: round(loadAtStart), end: round(loadavg()[0]!) },
      oneSeat60Days: { spans: 60 * 640, ...oneSeat },
      team50OneDay: { spans: TEAM * 640, ...teamDay },
    };
    const folder = join(import.meta.dirname, '../results');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `visual-timeline-${Date.now()}.json`), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await browser?.close();
    await server.close();
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
