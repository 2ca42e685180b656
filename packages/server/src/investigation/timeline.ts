/**
 * The investigation timeline: for seats (named, or found from operators)
 * over a time range, activity spans, application totals, screenshots,
 * device events, logins and IPs, state changes and anomalies, each section
 * paged on the server. The caller (the route) has checked the purpose and
 * records the read in the audit log.
 */
import { SeatwatchError } from '@seatwatch/shared';
import {
  MAX_TIMELINE_RANGE_MS,
  TIMELINE_SECTIONS,
  type Timeline,
  type TimelineRequest,
  type TimelineSection,
} from '@seatwatch/shared/dashboard-api';
import type { Executor } from '../db/connect.js';
import { can, type Principal, scopeOf } from '../domain/authz-policy.js';
import {
  anomalyPage,
  appTotals,
  devicePage,
  loginPage,
  screenshotCount,
  screenshotPage,
  seatsById,
  seatsOfOperators,
  spanPage,
  statePage,
  type TimelineSeatRow,
  type TimelineWindow,
} from './timeline.queries.js';
import { decodeCursor, pageOf } from './timeline-cursor.js';

export const DEFAULT_TIMELINE_LIMIT = 200;

/** The seats a request covers, each checked against the viewer's timeline.read scope. */
export async function timelineSeats(
  ex: Executor,
  principal: Principal,
  request: Pick<TimelineRequest, 'seatIds' | 'operators' | 'from' | 'to'>,
): Promise<TimelineSeatRow[]> {
  const named = [...new Set(request.seatIds ?? [])];
  const operators = [...new Set(request.operators ?? [])];
  if (named.length === 0 && operators.length === 0) {
    throw new SeatwatchError('bad_request', 'name at least one seat or operator');
  }
  const seats = await seatsById(ex, named);
  if (seats.length !== named.length) throw new SeatwatchError('not_found', 'no such seat');
  for (const seat of seats) {
    if (!can(principal, 'timeline.read', { kind: 'team', projectId: seat.projectId, teamId: seat.teamId })) {
      throw new SeatwatchError('forbidden', 'a seat is outside your investigation scope');
    }
  }
  const found = await seatsOfOperators(
    ex,
    scopeOf(principal, 'timeline.read'),
    operators,
    request.from,
    request.to,
  );
  const byId = new Map(seats.map((seat) => [seat.id, seat]));
  for (const seat of found) byId.set(seat.id, seat);
  return [...byId.values()];
}

export function checkRange(from: number, to: number): void {
  if (to <= from) throw new SeatwatchError('bad_request', '`to` must be after `from`');
  if (to - from > MAX_TIMELINE_RANGE_MS) {
    throw new SeatwatchError(
      'bad_request',
      `a timeline covers at most ${MAX_TIMELINE_RANGE_MS / 86_400_000} days`,
    );
  }
}

export async function readTimeline(
  ex: Executor,
  seats: readonly TimelineSeatRow[],
  request: TimelineRequest,
): Promise<Timeline> {
  checkRange(request.from, request.to);
  const sections = new Set<TimelineSection>(request.sections?.length ? request.sections : TIMELINE_SECTIONS);
  const limit = request.limit ?? DEFAULT_TIMELINE_LIMIT;
  const cursors = request.cursors ?? {};
  const firstPage = Object.values(cursors).every((cursor) => !cursor);
  const window: TimelineWindow = {
    seatIds: seats.map((seat) => seat.id),
    from: request.from,
    to: request.to,
  };
  const filter = { q: request.q?.trim() || undefined, apps: request.apps };
  const timeline: Timeline = {
    from: request.from,
    to: request.to,
    seats: seats.map((seat) => ({ ...seat })),
    totals: null,
  };
  if (seats.length === 0) {
    if (firstPage) timeline.totals = { apps: [], activeMs: 0, spans: 0, screenshots: 0 };
    for (const section of sections) timeline[section] = { items: [], next: null };
    return timeline;
  }
  const want = (section: TimelineSection) => sections.has(section);
  const after = (section: TimelineSection) => decodeCursor(cursors[section], section !== 'anomalies');
  // Each section is its own keyset query; on PostgreSQL they run on separate pool connections at once.
  const [spans, shots, devices, logins, states, anomalies, totals, shotCount] = await Promise.all([
    want('spans') ? spanPage(ex, window, filter, after('spans'), limit) : null,
    want('screenshots') ? screenshotPage(ex, window, after('screenshots'), limit) : null,
    want('devices') ? devicePage(ex, window, after('devices'), limit) : null,
    want('logins') ? loginPage(ex, window, after('logins'), limit) : null,
    want('states') ? statePage(ex, window, after('states'), limit) : null,
    want('anomalies') ? anomalyPage(ex, window, after('anomalies'), limit) : null,
    firstPage ? appTotals(ex, window, filter) : null,
    firstPage ? screenshotCount(ex, window) : null,
  ]);
  if (spans) timeline.spans = pageOf(spans, limit, (row) => ({ time: row.start, id: row.id }));
  if (shots) timeline.screenshots = pageOf(shots, limit, (row) => ({ time: row.time, id: row.id }));
  if (devices) timeline.devices = pageOf(devices, limit, (row) => ({ time: row.time, id: row.id }));
  if (logins) timeline.logins = pageOf(logins, limit, (row) => ({ time: row.time, id: row.id }));
  if (states) timeline.states = pageOf(states, limit, (row) => ({ time: row.time, id: row.id }));
  if (anomalies) timeline.anomalies = pageOf(anomalies, limit, (row) => ({ time: row.firstAt, id: row.id }));
  if (totals) {
    timeline.totals = {
      apps: totals,
      activeMs: totals.reduce((sum, app) => sum + app.ms, 0),
      spans: totals.reduce((sum, app) => sum + app.spans, 0),
      screenshots: shotCount ?? 0,
    };
  }
  return timeline;
}
