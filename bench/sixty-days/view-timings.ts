/**
 * The timeline (one seat: a random day, a random week, all 60 days) and the
 * live board (GET /api/v1/board, every seat) timed over HTTP on a server
 * whose database holds 60 days of a floor: p50/p95 of `runs` calls each,
 * after three unmeasured ones. Shared by the sixty-days bench and
 * views-run.ts (the same on a database the bench kept).
 */
import type { Timeline } from '@seatwatch/shared/dashboard-api';
import { asUser, createSignedInUser } from '@seatwatch/testkit/dashboard-session';
import type { TestServer } from '@seatwatch/testkit/server';
import { timingStats } from '../timings/percentiles.js';

const DAY = 86_400_000;

export interface ViewWindow {
  projectId: string;
  /** The seat whose timeline is asked for. */
  seatId: string;
  /** The first kept day (UTC midnight, ms) and how many days are kept from it. */
  firstDay: number;
  days: number;
}

export async function timeViews(server: TestServer, window: ViewWindow, runs: number) {
  const { projectId, seatId, firstDay, days } = window;
  const investigator = await createSignedInUser(server, `bench-investigator-${Date.now()}`, [
    { role: 'investigator', projectId, teamId: null },
  ]);
  const shapes: Record<string, () => { from: number; to: number }> = {
    day: () => {
      const from = firstDay + Math.floor(Math.random() * days) * DAY;
      return { from, to: from + DAY };
    },
    week: () => {
      const from = firstDay + Math.floor(Math.random() * (days - 7)) * DAY;
      return { from, to: from + 7 * DAY };
    },
    all60days: () => ({ from: firstDay, to: firstDay + (days + 1) * DAY }),
  };
  const timeline: Record<string, ReturnType<typeof timingStats>> = {};
  for (const [shape, range] of Object.entries(shapes)) {
    const times: number[] = [];
    for (let run = 0; run < runs + 3; run++) {
      const started = performance.now();
      const answer = await asUser<Timeline>(server, investigator, 'POST', '/api/v1/investigation/timeline', {
        seatIds: [seatId],
        ...range(),
        reason: 'benchmark of the timeline on 60 days of a floor',
      });
      const ms = performance.now() - started;
      if (answer.status !== 200)
        throw new Error(`timeline answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      if (run >= 3) times.push(ms);
    }
    timeline[shape] = timingStats(times);
  }
  const admin = await createSignedInUser(server, `bench-admin-${Date.now()}`, [
    { role: 'administrator', projectId, teamId: null },
  ]);
  const boardTimes: number[] = [];
  for (let run = 0; run < runs + 3; run++) {
    const started = performance.now();
    const response = await fetch(`${server.url}/api/v1/board`, { headers: { cookie: admin.cookie } });
    await response.arrayBuffer();
    const ms = performance.now() - started;
    if (response.status !== 200) throw new Error(`board answered ${response.status}`);
    if (run >= 3) boardTimes.push(ms);
  }
  return { timeline, board: timingStats(boardTimes) };
}
