/**
 * The visual timeline's model, pure (no DOM): the visible window and how
 * zoom and pan move it, the lanes of each seat, what is drawn at a zoom
 * (spans merged per pixel bucket when they are too small to see), and what
 * a click at a point hits. The canvas component only draws what this says.
 *
 * What is drawn comes from one of two sources: zoomed out, the server's
 * summary (per seat and time bucket, what dominated: one request for the
 * whole range, recorded once); zoomed in, where a summary bucket would be
 * wider than DETAIL_BUCKET_PX, the detailed timeline of the visible range
 * only (wantsDetail, detailRange).
 */
import type {
  Timeline,
  TimelineAnomaly,
  TimelineDevice,
  TimelineLogin,
  TimelineScreenshot,
  TimelineSpan,
  TimelineState,
  TimelineSummary,
  TimelineSummaryCell,
} from '@seatwatch/shared/dashboard-api';

export interface View {
  readonly from: number;
  readonly to: number;
}

/** The shortest window one may zoom into: a minute. */
export const MIN_VIEW_MS = 60_000;

/** Zooms by `factor` (< 1 in, > 1 out) keeping `anchor` (a time) where it is; stays inside `bounds`. */
export function zoom(view: View, factor: number, anchor: number, bounds: View): View {
  const width = Math.min(bounds.to - bounds.from, Math.max(MIN_VIEW_MS, (view.to - view.from) * factor));
  const ratio = view.to > view.from ? (anchor - view.from) / (view.to - view.from) : 0.5;
  return clamp({ from: anchor - ratio * width, to: anchor - ratio * width + width }, bounds);
}

/** Moves the window by `deltaMs`, stopping at the bounds. */
export function pan(view: View, deltaMs: number, bounds: View): View {
  return clamp({ from: view.from + deltaMs, to: view.to + deltaMs }, bounds);
}

function clamp(view: View, bounds: View): View {
  const width = Math.min(view.to - view.from, bounds.to - bounds.from);
  let from = Math.max(bounds.from, view.from);
  if (from + width > bounds.to) from = bounds.to - width;
  return { from, to: from + width };
}

export type LaneKind = 'activity' | 'presence' | 'markers';

export interface Lane {
  readonly seatId: string;
  readonly kind: LaneKind;
  readonly top: number;
  readonly height: number;
}

export const LANE_HEIGHTS: Readonly<Record<LaneKind, number>> = { activity: 22, presence: 10, markers: 16 };
const SEAT_GAP = 14;
export const AXIS_HEIGHT = 22;

/** Per seat: activity spans, presence band, markers (sign-ins, devices, anomalies, screenshots). */
export function layoutLanes(seatIds: readonly string[]): { lanes: Lane[]; height: number } {
  const lanes: Lane[] = [];
  let top = AXIS_HEIGHT;
  for (const seatId of seatIds) {
    top += SEAT_GAP;
    for (const kind of ['activity', 'presence', 'markers'] as const) {
      lanes.push({ seatId, kind, top, height: LANE_HEIGHTS[kind] });
      top += LANE_HEIGHTS[kind] + 2;
    }
  }
  return { lanes, height: top + 4 };
}

export type Detail =
  | { readonly kind: 'span'; readonly span: TimelineSpan }
  | {
      readonly kind: 'spans';
      readonly seatId: string;
      readonly from: number;
      readonly to: number;
      readonly count: number;
      readonly app: string;
    }
  | { readonly kind: 'screenshot'; readonly shot: TimelineScreenshot }
  | { readonly kind: 'anomaly'; readonly anomaly: TimelineAnomaly }
  | { readonly kind: 'login'; readonly login: TimelineLogin }
  | { readonly kind: 'device'; readonly device: TimelineDevice }
  | { readonly kind: 'presence'; readonly band: PresenceBand }
  /** A summary bucket's markers: how many of each, to be seen one by one when zoomed in. */
  | {
      readonly kind: 'bucket';
      readonly seatId: string;
      readonly from: number;
      readonly to: number;
      readonly counts: Readonly<Record<Marker['type'], number>>;
    };

export type PresenceName = TimelineState['state'] | 'offline';

export interface PresenceBand {
  readonly seatId: string;
  readonly state: PresenceName;
  readonly start: number;
  readonly end: number;
}

/** A rectangle to draw in a lane, with what clicking it opens. */
export interface Block {
  readonly x0: number;
  readonly x1: number;
  /** The colour key: an application, or a presence state. */
  readonly key: string;
  readonly detail: Detail;
}

export interface Marker {
  readonly x: number;
  readonly type: 'login' | 'device' | 'anomaly' | 'screenshot';
  readonly detail: Detail;
}

/** Everything of one seat, sorted by time, ready to be cut to a view. */
export interface SeatTrack {
  readonly seatId: string;
  readonly spans: readonly TimelineSpan[];
  /** The longest span's duration: how far before a view a span may start and still reach into it. */
  readonly longest: number;
  readonly presence: readonly PresenceBand[];
  readonly markers: readonly { time: number; type: Marker['type']; detail: Detail }[];
}

/**
 * Presence from status changes: each state lasts until the next one of its
 * seat; before the first one the state is unknown (drawn as offline), and
 * the last one is cut at `end` (the range's end, or now).
 */
export function presenceBands(
  seatId: string,
  states: readonly TimelineState[],
  from: number,
  end: number,
): PresenceBand[] {
  const own = states.filter((s) => s.seatId === seatId).sort((a, b) => a.time - b.time);
  const bands: PresenceBand[] = [];
  const first = own[0];
  if (!first || first.time > from)
    bands.push({ seatId, state: 'offline', start: from, end: first ? first.time : end });
  own.forEach((state, index) => {
    const until = Math.min(own[index + 1]?.time ?? end, end);
    if (until > state.time) bands.push({ seatId, state: state.state, start: state.time, end: until });
  });
  return bands;
}

export function seatTracks(timeline: Timeline, now: number): SeatTrack[] {
  const end = Math.min(timeline.to, now);
  return timeline.seats.map((seat) => {
    const mine = <T extends { seatId: string | null }>(items: readonly T[] | undefined) =>
      (items ?? []).filter((item) => item.seatId === seat.id);
    const markers: SeatTrack['markers'][number][] = [
      ...mine(timeline.logins?.items).map((login) => ({
        time: login.time,
        type: 'login' as const,
        detail: { kind: 'login' as const, login },
      })),
      ...mine(timeline.devices?.items).map((device) => ({
        time: device.time,
        type: 'device' as const,
        detail: { kind: 'device' as const, device },
      })),
      ...mine(timeline.anomalies?.items).map((anomaly) => ({
        time: anomaly.firstAt,
        type: 'anomaly' as const,
        detail: { kind: 'anomaly' as const, anomaly },
      })),
      ...mine(timeline.screenshots?.items).map((shot) => ({
        time: shot.time,
        type: 'screenshot' as const,
        detail: { kind: 'screenshot' as const, shot },
      })),
    ].sort((a, b) => a.time - b.time);
    const spans = mine(timeline.spans?.items).sort((a, b) => a.start - b.start);
    return {
      seatId: seat.id,
      spans,
      longest: spans.reduce((max, s) => Math.max(max, s.end - s.start), 0),
      presence: presenceBands(seat.id, timeline.states?.items ?? [], timeline.from, end),
      markers,
    };
  });
}

/** First index whose `end` (or time) is past `t`, by binary search over items sorted by start. */
function firstVisible<T>(
  items: readonly T[],
  startOf: (item: T) => number,
  t: number,
  longest: number,
): number {
  let lo = 0;
  let hi = items.length;
  const bound = t - longest;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (startOf(items[mid]!) < bound) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Pixel buckets narrower than this merge their spans into one block (the app with most time in it). */
export const BUCKET_PX = 2;

/**
 * The activity blocks of a seat in a view `width` pixels wide. A span wide
 * enough is its own block; smaller ones are summed per bucket of BUCKET_PX
 * pixels, and the bucket shows its busiest application. Work is linear in
 * the spans inside the view, so 60 days of spans draw in milliseconds.
 */
export function activityBlocks(track: SeatTrack, view: View, width: number): Block[] {
  const msPerPx = (view.to - view.from) / width;
  const x = (t: number) => (t - view.from) / msPerPx;
  const spans = track.spans;
  const blocks: Block[] = [];
  let bucket: { index: number; byApp: Map<string, number>; count: number; from: number; to: number } | null =
    null;
  const flush = () => {
    if (!bucket) return;
    let app = '';
    let best = -1;
    for (const [name, ms] of bucket.byApp) {
      if (ms > best) {
        best = ms;
        app = name;
      }
    }
    const x0 = bucket.index * BUCKET_PX;
    blocks.push({
      x0,
      x1: x0 + BUCKET_PX,
      key: app,
      detail: {
        kind: 'spans',
        seatId: track.seatId,
        from: bucket.from,
        to: bucket.to,
        count: bucket.count,
        app,
      },
    });
    bucket = null;
  };
  for (let i = firstVisible(spans, (s) => s.start, view.from, track.longest); i < spans.length; i++) {
    const span = spans[i]!;
    if (span.start >= view.to) break;
    if (span.end <= view.from) continue;
    const x0 = Math.max(0, x(span.start));
    const x1 = Math.min(width, x(span.end));
    if (x1 - x0 >= BUCKET_PX) {
      flush();
      blocks.push({ x0, x1, key: span.app, detail: { kind: 'span', span } });
      continue;
    }
    const index = Math.floor(x0 / BUCKET_PX);
    if (bucket && bucket.index !== index) flush();
    if (!bucket) bucket = { index, byApp: new Map(), count: 0, from: span.start, to: span.end };
    bucket.byApp.set(span.app, (bucket.byApp.get(span.app) ?? 0) + (span.end - span.start));
    bucket.count += 1;
    bucket.to = Math.max(bucket.to, span.end);
  }
  flush();
  return blocks;
}

export function presenceBlocks(track: SeatTrack, view: View, width: number): Block[] {
  const msPerPx = (view.to - view.from) / width;
  const blocks: Block[] = [];
  for (const band of track.presence) {
    if (band.end <= view.from || band.start >= view.to) continue;
    const x0 = Math.max(0, (band.start - view.from) / msPerPx);
    const x1 = Math.min(width, (band.end - view.from) / msPerPx);
    blocks.push({ x0, x1: Math.max(x1, x0 + 1), key: band.state, detail: { kind: 'presence', band } });
  }
  return blocks;
}

/** Markers in view; at most one per type and pixel (the first), so a dense day stays drawable. */
export function visibleMarkers(track: SeatTrack, view: View, width: number): Marker[] {
  const msPerPx = (view.to - view.from) / width;
  const seen = new Set<string>();
  const out: Marker[] = [];
  for (const marker of track.markers) {
    if (marker.time < view.from || marker.time >= view.to) continue;
    const x = (marker.time - view.from) / msPerPx;
    const key = `${marker.type}:${Math.round(x)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ x, type: marker.type, detail: marker.detail });
  }
  return out;
}

/** Marker rows inside the markers lane, top to bottom. */
export const MARKER_ROWS: readonly Marker['type'][] = ['screenshot', 'anomaly', 'device', 'login'];

/** What a view draws for each seat: the detailed timeline's rows, or the server's summary. */
export interface LaneSource {
  readonly kind: 'detail' | 'summary';
  activity(seatId: string, view: View, width: number): Block[];
  presence(seatId: string, view: View, width: number): Block[];
  markers(seatId: string, view: View, width: number): Marker[];
}

/** The detailed timeline's tracks as a source. */
export function detailSource(tracks: readonly SeatTrack[]): LaneSource {
  const byId = new Map(tracks.map((track) => [track.seatId, track]));
  const ofSeat = <T>(seatId: string, draw: (track: SeatTrack) => T[]): T[] => {
    const track = byId.get(seatId);
    return track ? draw(track) : [];
  };
  return {
    kind: 'detail',
    activity: (seatId, view, width) => ofSeat(seatId, (track) => activityBlocks(track, view, width)),
    presence: (seatId, view, width) => ofSeat(seatId, (track) => presenceBlocks(track, view, width)),
    markers: (seatId, view, width) => ofSeat(seatId, (track) => visibleMarkers(track, view, width)),
  };
}

const MARKER_COUNTS = [
  ['screenshot', 'screenshots'],
  ['anomaly', 'anomalies'],
  ['device', 'devices'],
  ['login', 'logins'],
] as const;

/**
 * The server's summary as a source: a block per bucket (its busiest
 * application; its main state, offline where the seat had none), and a
 * marker per bucket and kind that has any. Work is linear in the buckets
 * inside the view.
 */
export function summarySource(summary: TimelineSummary): LaneSource {
  const bySeat = new Map<string, TimelineSummaryCell[]>();
  for (const cell of summary.cells) {
    const list = bySeat.get(cell.seatId) ?? [];
    list.push(cell);
    bySeat.set(cell.seatId, list);
  }
  for (const list of bySeat.values()) list.sort((a, b) => a.bucket - b.bucket);
  const { from, to, bucketMs } = summary;
  const startOf = (bucket: number) => from + bucket * bucketMs;
  const endOf = (bucket: number) => Math.min(to, from + (bucket + 1) * bucketMs);
  /** The seat's cells in view, by binary search on the bucket index. */
  const cellsIn = (seatId: string, view: View): TimelineSummaryCell[] => {
    const cells = bySeat.get(seatId) ?? [];
    const first = Math.floor((view.from - from) / bucketMs);
    const last = Math.ceil((view.to - from) / bucketMs);
    let lo = 0;
    let hi = cells.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cells[mid]!.bucket < first) lo = mid + 1;
      else hi = mid;
    }
    const out: TimelineSummaryCell[] = [];
    for (let i = lo; i < cells.length && cells[i]!.bucket <= last; i++) out.push(cells[i]!);
    return out;
  };
  const pixels = (view: View, width: number) => {
    const msPerPx = (view.to - view.from) / width;
    return (t: number) => Math.min(width, Math.max(0, (t - view.from) / msPerPx));
  };
  return {
    kind: 'summary',
    activity(seatId, view, width) {
      const x = pixels(view, width);
      const blocks: Block[] = [];
      for (const cell of cellsIn(seatId, view)) {
        if (cell.app === null) continue;
        const start = startOf(cell.bucket);
        const end = endOf(cell.bucket);
        const x0 = x(start);
        const x1 = x(end);
        if (x1 <= x0) continue;
        blocks.push({
          x0,
          x1,
          key: cell.app,
          detail: { kind: 'spans', seatId, from: start, to: end, count: cell.spans, app: cell.app },
        });
      }
      return blocks;
    },
    presence(seatId, view, width) {
      // Bucket by bucket over the view, equal neighbours merged into one band.
      const x = pixels(view, width);
      const cells = new Map(cellsIn(seatId, view).map((cell) => [cell.bucket, cell]));
      const first = Math.max(0, Math.floor((view.from - from) / bucketMs));
      const last = Math.min(summary.buckets - 1, Math.ceil((view.to - from) / bucketMs));
      const bands: PresenceBand[] = [];
      for (let bucket = first; bucket <= last; bucket++) {
        const state = cells.get(bucket)?.state ?? 'offline';
        const previous = bands[bands.length - 1];
        if (previous && previous.state === state && previous.end === startOf(bucket)) {
          bands[bands.length - 1] = { ...previous, end: endOf(bucket) };
        } else bands.push({ seatId, state, start: startOf(bucket), end: endOf(bucket) });
      }
      return bands
        .filter((band) => band.end > view.from && band.start < view.to)
        .map((band) => {
          const x0 = x(band.start);
          return {
            x0,
            x1: Math.max(x(band.end), x0 + 1),
            key: band.state,
            detail: { kind: 'presence', band },
          };
        });
    },
    markers(seatId, view, width) {
      const msPerPx = (view.to - view.from) / width;
      const out: Marker[] = [];
      for (const cell of cellsIn(seatId, view)) {
        const start = startOf(cell.bucket);
        const end = endOf(cell.bucket);
        const middle = (start + end) / 2;
        if (middle < view.from || middle >= view.to) continue;
        const counts = {
          screenshot: cell.screenshots,
          anomaly: cell.anomalies,
          device: cell.devices,
          login: cell.logins,
        };
        for (const [type, field] of MARKER_COUNTS) {
          if (cell[field] === 0) continue;
          out.push({
            x: (middle - view.from) / msPerPx,
            type,
            detail: { kind: 'bucket', seatId, from: start, to: end, counts },
          });
        }
      }
      return out;
    },
  };
}

/** Buckets a summary of the whole range asks for: about one per two pixels of a wide canvas. */
export const SUMMARY_BUCKETS = 720;

/** Summary buckets wider than this (CSS pixels) look blocky: the view then wants the detail. */
export const DETAIL_BUCKET_PX = 6;

/** Whether a view is zoomed in far enough to draw the detailed timeline instead of the summary. */
export function wantsDetail(view: View, bucketMs: number, width: number): boolean {
  return bucketMs / ((view.to - view.from) / width) > DETAIL_BUCKET_PX;
}

/**
 * The range to read in detail for a view: the view and half its width on
 * each side, so that panning a little stays inside, within the bounds.
 */
export function detailRange(view: View, bounds: View): View {
  const pad = (view.to - view.from) / 2;
  return {
    from: Math.max(bounds.from, Math.floor(view.from - pad)),
    to: Math.min(bounds.to, Math.ceil(view.to + pad)),
  };
}

export function covers(range: View, view: View): boolean {
  return range.from <= view.from && range.to >= view.to;
}

/** What a click at (x, y) in CSS pixels opens, or null. Markers take a few pixels of slack. */
export function hitTest(
  lanes: readonly Lane[],
  source: LaneSource,
  view: View,
  width: number,
  x: number,
  y: number,
): Detail | null {
  const lane = lanes.find((l) => y >= l.top && y < l.top + l.height);
  if (!lane) return null;
  if (lane.kind === 'markers') {
    let best: Marker | null = null;
    for (const marker of source.markers(lane.seatId, view, width)) {
      const distance = Math.abs(marker.x - x);
      if (distance <= 5 && (!best || distance < Math.abs(best.x - x))) best = marker;
    }
    return best?.detail ?? null;
  }
  const blocks =
    lane.kind === 'activity'
      ? source.activity(lane.seatId, view, width)
      : source.presence(lane.seatId, view, width);
  return blocks.find((block) => x >= block.x0 && x < Math.max(block.x1, block.x0 + 1))?.detail ?? null;
}

const colours = new Map<string, string>();

/** A stable colour per application (hue from a string hash), so an app looks the same everywhere. */
export function appColour(app: string): string {
  let colour = colours.get(app);
  if (colour === undefined) {
    let hash = 2166136261;
    for (let i = 0; i < app.length; i++) hash = Math.imul(hash ^ app.charCodeAt(i), 16777619);
    colour = `hsl(${(hash >>> 0) % 360} 62% 52%)`;
    // Applications are few; the bound only keeps a hostile seat's endless names from growing it.
    if (colours.size > 5000) colours.clear();
    colours.set(app, colour);
  }
  return colour;
}

export const PRESENCE_COLOURS: Readonly<Record<PresenceName, string>> = {
  active: '#2e9d5b',
  idle: '#e0a526',
  locked: '#7a6fd1',
  offline: '#c9ced6',
};

/** Axis ticks: a "nice" step for about one label per 110 pixels. */
export function ticks(view: View, width: number): number[] {
  const steps = [
    60_000,
    300_000,
    900_000,
    1_800_000,
    3_600_000,
    3 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    86_400_000,
    2 * 86_400_000,
    7 * 86_400_000,
    14 * 86_400_000,
    30 * 86_400_000,
  ];
  const wanted = ((view.to - view.from) / width) * 110;
  const step = steps.find((s) => s >= wanted) ?? steps[steps.length - 1]!;
  // Aligned to the viewer's local midnight for day steps, to the epoch otherwise (whole hours in most zones).
  const offset = step >= 86_400_000 ? new Date(view.from).getTimezoneOffset() * 60_000 : 0;
  const first = Math.ceil((view.from - offset) / step) * step + offset;
  const out: number[] = [];
  for (let t = first; t < view.to; t += step) out.push(t);
  return out;
}
