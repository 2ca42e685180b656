/**
 * The visual timeline's model (the detailed source, the server summary's
 * source and when a view switches from one to the other), the range loader
 * and the seat picker's grouping (pure, no DOM).
 */
import type {
  Timeline,
  TimelineRequest,
  TimelineSeat,
  TimelineSpan,
  TimelineSummary,
  TimelineSummaryCell,
} from '@seatwatch/shared/dashboard-api';
import { describe, expect, it } from 'vitest';
import { groupSeats } from '../src/components/seat-groups.js';
import { loadWholeTimeline, PAGE_LIMIT } from '../src/timeline/load-all.js';
import {
  activityBlocks,
  BUCKET_PX,
  covers,
  DETAIL_BUCKET_PX,
  detailRange,
  detailSource,
  hitTest,
  layoutLanes,
  MIN_VIEW_MS,
  pan,
  presenceBands,
  seatTracks,
  summarySource,
  ticks,
  visibleMarkers,
  wantsDetail,
  zoom,
} from '../src/timeline/timeline-model.js';

const DAY = 86_400_000;
const bounds = { from: 0, to: 60 * DAY };

const span = (i: number, start: number, end: number, app = 'CRM'): TimelineSpan => ({
  id: String(i),
  seatId: 's1',
  start,
  end,
  app,
  title: `t${i}`,
});

function timelineOf(spans: TimelineSpan[]): Timeline {
  return {
    from: bounds.from,
    to: bounds.to,
    seats: [{ id: 's1', name: 'desk', projectId: 'p', siteId: null, teamId: null }],
    totals: null,
    spans: { items: spans, next: null },
    states: {
      items: [
        { id: '1', seatId: 's1', time: DAY, state: 'active' },
        { id: '2', seatId: 's1', time: 2 * DAY, state: 'locked' },
      ],
      next: null,
    },
    anomalies: {
      items: [
        {
          id: 'a',
          seatId: 's1',
          rule: 'usb_storage',
          severity: 'high',
          status: 'open',
          firstAt: 3 * DAY,
          lastAt: 3 * DAY,
          count: 1,
          operator: null,
        },
      ],
      next: null,
    },
  };
}

describe('zoom and pan', () => {
  it('zooms around the anchor and stays inside the range', () => {
    const view = zoom(bounds, 0.5, 15 * DAY, bounds);
    expect(view.to - view.from).toBe(30 * DAY);
    // The anchor keeps its place: a quarter of the way in before and after.
    expect((15 * DAY - view.from) / (view.to - view.from)).toBeCloseTo(0.25);
    expect(zoom(view, 10, 15 * DAY, bounds)).toEqual(bounds);
    expect(zoom(bounds, 1e-12, 0, bounds).to).toBe(MIN_VIEW_MS);
  });

  it('pans by a time and stops at either end with the same width', () => {
    const view = { from: 10 * DAY, to: 20 * DAY };
    expect(pan(view, 5 * DAY, bounds)).toEqual({ from: 15 * DAY, to: 25 * DAY });
    expect(pan(view, 100 * DAY, bounds)).toEqual({ from: 50 * DAY, to: 60 * DAY });
    expect(pan(view, -100 * DAY, bounds)).toEqual({ from: 0, to: 10 * DAY });
  });

  it('puts axis ticks about every 110 pixels', () => {
    const marks = ticks({ from: 0, to: DAY }, 1100);
    expect(marks.length).toBeGreaterThanOrEqual(6);
    expect(marks.length).toBeLessThanOrEqual(12);
  });
});

describe('activity blocks', () => {
  // 60 days of a span every 45 s for 8 hours a day: about 38 000 spans.
  const spans: TimelineSpan[] = [];
  for (let d = 0; d < 60; d++) {
    for (let i = 0; i < 640; i++) {
      const start = d * DAY + 8 * 3_600_000 + i * 45_000;
      spans.push(span(spans.length, start, start + 40_000, i % 2 ? 'Mail' : 'CRM'));
    }
  }
  const [track] = seatTracks(timelineOf(spans), Number.MAX_SAFE_INTEGER);

  it('merges spans too small to see into buckets at the whole range, at most one per bucket', () => {
    const blocks = activityBlocks(track!, bounds, 1200);
    expect(blocks.length).toBeLessThanOrEqual(1200 / BUCKET_PX);
    expect(blocks.every((block) => block.detail.kind === 'spans')).toBe(true);
    const merged = blocks.reduce((sum, b) => sum + (b.detail.kind === 'spans' ? b.detail.count : 0), 0);
    expect(merged).toBe(spans.length);
  });

  it('draws each span as its own block when zoomed into an hour', () => {
    const view = { from: 10 * DAY + 9 * 3_600_000, to: 10 * DAY + 10 * 3_600_000 };
    const blocks = activityBlocks(track!, view, 1200);
    expect(blocks.every((block) => block.detail.kind === 'span')).toBe(true);
    expect(blocks).toHaveLength(80);
    expect(blocks[0]!.key).toBe('CRM');
  });

  it('a click finds the span, the presence band or the marker under it', () => {
    const { lanes } = layoutLanes(['s1']);
    const view = { from: 10 * DAY + 9 * 3_600_000, to: 10 * DAY + 10 * 3_600_000 };
    const activity = lanes.find((lane) => lane.kind === 'activity')!;
    const hit = hitTest(lanes, detailSource([track!]), view, 1200, 10, activity.top + 5);
    expect(hit).toMatchObject({ kind: 'span', span: { start: view.from } });
    const presence = lanes.find((lane) => lane.kind === 'presence')!;
    expect(hitTest(lanes, detailSource([track!]), view, 1200, 10, presence.top + 2)).toMatchObject({
      kind: 'presence',
      band: { state: 'locked' },
    });
    const markers = lanes.find((lane) => lane.kind === 'markers')!;
    const whole = { from: 0, to: 6 * DAY };
    const x = (3 * DAY * 1200) / (6 * DAY);
    expect(hitTest(lanes, detailSource([track!]), whole, 1200, x + 3, markers.top + 2)).toMatchObject({
      kind: 'anomaly',
    });
    expect(hitTest(lanes, detailSource([track!]), whole, 1200, x + 30, markers.top + 2)).toBeNull();
    expect(visibleMarkers(track!, whole, 1200)).toHaveLength(1);
  });
});

describe('presence bands', () => {
  it('holds each state until the next, with the time before the first unknown (offline)', () => {
    const states = timelineOf([]).states!.items;
    expect(presenceBands('s1', states, 0, 5 * DAY)).toEqual([
      { seatId: 's1', state: 'offline', start: 0, end: DAY },
      { seatId: 's1', state: 'active', start: DAY, end: 2 * DAY },
      { seatId: 's1', state: 'locked', start: 2 * DAY, end: 5 * DAY },
    ]);
  });
});

describe('whole-range loading', () => {
  it('asks for the sections still open, with their cursors, until none is', async () => {
    const asked: TimelineRequest[] = [];
    const fetchPage = async (request: TimelineRequest): Promise<Timeline> => {
      asked.push(request);
      const page = asked.length;
      const base = timelineOf([span(page, page, page + 1)]);
      return {
        ...base,
        spans: { items: [span(page, page, page + 1)], next: page < 3 ? `s${page}` : null },
        states: page === 1 ? { items: [], next: 'x1' } : { items: [], next: null },
        anomalies: { items: [], next: null },
      };
    };
    const request: TimelineRequest = { seatIds: ['s1'], from: 0, to: DAY, reason: 'a good reason' };
    const { timeline, complete } = await loadWholeTimeline(request, fetchPage);
    expect(complete).toBe(true);
    expect(timeline.spans!.items.map((item) => item.id)).toEqual(['1', '2', '3']);
    expect(asked.map((r) => [r.sections, r.cursors, r.limit])).toEqual([
      [undefined, undefined, PAGE_LIMIT],
      [['spans', 'states'], { spans: 's1', states: 'x1' }, PAGE_LIMIT],
      [['spans'], { spans: 's2' }, PAGE_LIMIT],
    ]);
  });
});

describe('seat picker groups', () => {
  const seat = (id: string, name: string, site: string | null, team: string | null): TimelineSeat => ({
    id,
    name,
    projectId: 'p',
    siteId: site,
    teamId: team,
    siteName: site,
    teamName: team,
  });
  const seats = [
    seat('1', 'desk-1', 'Berlin', 'Billing'),
    seat('2', 'desk-2', 'Lisbon', 'Claims'),
    seat('3', 'desk-3', 'Berlin', 'Billing'),
    seat('4', 'spare', null, null),
  ];

  it('matches every word in the seat, site or team name and groups by site and team', () => {
    expect(
      groupSeats(seats, 'berlin desk').groups.map((g) => [g.site, g.team, g.seats.map((s) => s.id)]),
    ).toEqual([['Berlin', 'Billing', ['1', '3']]]);
    const all = groupSeats(seats, '');
    expect(all.total).toBe(4);
    expect(all.groups.map((g) => g.site)).toEqual(['Berlin', 'Lisbon', null]);
  });

  it('lists only the first matches, and says how many there are', () => {
    const { groups, total } = groupSeats(seats, 'desk', 2);
    expect(total).toBe(3);
    expect(groups.flatMap((g) => g.seats).length).toBe(2);
  });
});

describe('the summary source (zoomed out) and the switch to detail (zoomed in)', () => {
  const HOUR = 3_600_000;
  const cell = (bucket: number, extra: Partial<TimelineSummaryCell> = {}): TimelineSummaryCell => ({
    seatId: 's1',
    bucket,
    activeMs: 0,
    spans: 0,
    app: null,
    appMs: 0,
    state: 'offline',
    screenshots: 0,
    anomalies: 0,
    devices: 0,
    logins: 0,
    ...extra,
  });
  // One day in 720 buckets of two minutes: CRM 08:00-08:04, Mail 08:04-08:06, idle until 09:00.
  const summary: TimelineSummary = {
    from: 0,
    to: DAY,
    bucketMs: 120_000,
    buckets: 720,
    seats: [{ id: 's1', name: 'desk', projectId: 'p', siteId: null, teamId: null }],
    cells: [
      cell(240, { app: 'CRM', activeMs: 100_000, appMs: 100_000, spans: 3, state: 'active' }),
      cell(241, { app: 'CRM', activeMs: 90_000, appMs: 90_000, spans: 2, state: 'active', screenshots: 2 }),
      cell(242, { app: 'Mail', activeMs: 80_000, appMs: 80_000, spans: 2, state: 'active', anomalies: 1 }),
      ...Array.from({ length: 27 }, (_, i) => cell(243 + i, { state: 'idle' })),
    ],
  };
  const source = summarySource(summary);
  const whole = { from: 0, to: DAY };

  it('draws a block per bucket with an application, coloured by its busiest one', () => {
    const blocks = source.activity('s1', whole, 720);
    expect(blocks.map((block) => block.key)).toEqual(['CRM', 'CRM', 'Mail']);
    expect(blocks[0]).toMatchObject({ x0: 240, x1: 241 });
    expect(blocks[2]!.detail).toEqual({
      kind: 'spans',
      seatId: 's1',
      from: 242 * 120_000,
      to: 243 * 120_000,
      count: 2,
      app: 'Mail',
    });
    expect(source.activity('other', whole, 720)).toEqual([]);
  });

  it('draws presence as bands of equal buckets, offline where the seat had no state', () => {
    const bands = source.presence('s1', whole, 720).map((block) => block.detail);
    expect(
      bands.map((band) =>
        band.kind === 'presence' ? [band.band.state, band.band.start, band.band.end] : null,
      ),
    ).toEqual([
      ['offline', 0, 8 * HOUR],
      ['active', 8 * HOUR, 8 * HOUR + 6 * 60_000],
      ['idle', 8 * HOUR + 6 * 60_000, 9 * HOUR],
      ['offline', 9 * HOUR, DAY],
    ]);
    // A view inside the day only has the bands it overlaps.
    const morning = { from: 8 * HOUR, to: 8 * HOUR + 5 * 60_000 };
    expect(source.presence('s1', morning, 300).map((block) => block.key)).toEqual(['active']);
  });

  it('puts a marker per kind in a bucket with any, and a click opens the bucket’s counts', () => {
    const markers = source.markers('s1', whole, 720);
    expect(markers.map((marker) => [marker.type, marker.x])).toEqual([
      ['screenshot', 241.5],
      ['anomaly', 242.5],
    ]);
    const { lanes } = layoutLanes(['s1']);
    const lane = lanes.find((l) => l.kind === 'markers')!;
    expect(hitTest(lanes, source, whole, 720, 243, lane.top + 2)).toEqual({
      kind: 'bucket',
      seatId: 's1',
      from: 242 * 120_000,
      to: 243 * 120_000,
      counts: { screenshot: 0, anomaly: 1, device: 0, login: 0 },
    });
    const activity = lanes.find((l) => l.kind === 'activity')!;
    expect(hitTest(lanes, source, whole, 720, 240.5, activity.top + 2)).toMatchObject({
      kind: 'spans',
      app: 'CRM',
    });
    expect(hitTest(lanes, source, whole, 720, 100, activity.top + 2)).toBeNull();
  });

  it('wants the detail once a summary bucket would be wider than DETAIL_BUCKET_PX, and reads around the view', () => {
    expect(wantsDetail(whole, summary.bucketMs, 1440)).toBe(false);
    // At the whole range a bucket is 2 pixels: three halvings make it 16.
    const quarter = { from: 6 * HOUR, to: 12 * HOUR };
    expect(wantsDetail(quarter, summary.bucketMs, 1440)).toBe(true);
    expect((summary.bucketMs / (6 * HOUR)) * 1440).toBeGreaterThan(DETAIL_BUCKET_PX);
    const range = detailRange(quarter, whole);
    expect(range).toEqual({ from: 3 * HOUR, to: 15 * HOUR });
    expect(covers(range, quarter)).toBe(true);
    expect(covers(range, pan(quarter, 4 * HOUR, whole))).toBe(false);
    // Never past the bounds.
    expect(detailRange({ from: 0, to: 2 * HOUR }, whole)).toEqual({ from: 0, to: 3 * HOUR });
  });
});
