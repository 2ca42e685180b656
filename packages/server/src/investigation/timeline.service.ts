/**
 * The investigation timeline: for seats (named, or found from operators)
 * over a time range, activity spans, application totals, screenshots,
 * device events, logins and IPs, state changes and anomalies, each section
 * paged on the server; and full-resolution screenshots. Every look states
 * its purpose (purpose.ts) and is recorded in the audit log.
 */

import { createHash } from 'node:crypto';
import { SeatwatchError } from '@seatwatch/shared';
import {
  MAX_TIMELINE_RANGE_MS,
  type Purpose,
  TIMELINE_SECTIONS,
  type Timeline,
  type TimelineRequest,
  type TimelineSeat,
  type TimelineSection,
  type TimelineSummary,
  type TimelineSummaryRequest,
} from '@seatwatch/shared/dashboard-api';
import { recordAudit } from '../audit/audit-log.js';
import type { RequestActor } from '../audit/request-actor.js';
import type { Executor } from '../db/connect.js';
import { can, type Principal, type Resource, type Scope, scopeOf } from '../domain/authz-policy.js';
import type { InvestigationServiceDeps } from './investigation-deps.js';
import { checkPurpose } from './purpose.js';
import {
  anomalyPage,
  appTotals,
  devicePage,
  findScreenshot,
  loginPage,
  screenshotCount,
  screenshotPage,
  seatsById,
  seatsInScope,
  seatsOfOperators,
  spanPage,
  statePage,
  type TimelineWindow,
} from './timeline.repository.js';
import { decodeCursor, pageOf } from './timeline-cursor.js';
import { bucketGrid, summaryCells } from './timeline-summary.js';
import { markerBuckets, spanBuckets, stateBuckets } from './timeline-summary.repository.js';

const SUMMARY_ROUTE = 'POST /api/v1/investigation/timeline/summary';
const TIMELINE_ROUTE = 'POST /api/v1/investigation/timeline';

/**
 * What tells one look's access bucket from another's: the seats, the range,
 * the search and the purpose. Pages of one query within a minute count into
 * one entry; another range (a zoomed-in detail), search or reason is an
 * entry of its own.
 */
function viewSubject(
  request: Pick<TimelineRequest, 'from' | 'to' | 'q' | 'apps' | 'reason' | 'caseId'>,
  seats: readonly { id: string }[],
): string {
  const key = JSON.stringify([
    request.from,
    request.to,
    request.q ?? null,
    request.apps ?? [],
    request.reason ?? null,
    request.caseId ?? null,
    seats.map((seat) => seat.id).sort(),
  ]);
  return `view:${createHash('sha256').update(key).digest('hex')}`;
}

/** The seats of one project a look covered, each with whose data it may show. */
async function seatsLooked(
  access: InvestigationServiceDeps['access'],
  ex: Executor,
  seats: readonly TimelineSeat[],
  range: { from: number; to: number },
): Promise<{ id: string; accounts: string[] }[]> {
  const looked = [];
  for (const seat of seats) {
    looked.push({ id: seat.id, accounts: await access.seatAccounts(ex, seat.id, range.from, range.to) });
  }
  return looked;
}

const DEFAULT_TIMELINE_LIMIT = 200;

/** The seats a request covers, each checked against the viewer's timeline.read scope. */
async function timelineSeats(
  ex: Executor,
  principal: Principal,
  request: Pick<TimelineRequest, 'seatIds' | 'operators' | 'from' | 'to'>,
): Promise<TimelineSeat[]> {
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

function checkRange(from: number, to: number): void {
  if (to <= from) throw new SeatwatchError('bad_request', '`to` must be after `from`');
  if (to - from > MAX_TIMELINE_RANGE_MS) {
    throw new SeatwatchError(
      'bad_request',
      `a timeline covers at most ${MAX_TIMELINE_RANGE_MS / 86_400_000} days`,
    );
  }
}

async function readTimeline(
  ex: Executor,
  seats: readonly TimelineSeat[],
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

/** The mime type comes from the seat: only image types pass, anything else is served as bytes. */
function safeImageType(mime: string): string {
  return ['image/jpeg', 'image/webp', 'image/png'].includes(mime) ? mime : 'application/octet-stream';
}

export type TimelineService = ReturnType<typeof createTimelineService>;

export function createTimelineService(deps: InvestigationServiceDeps) {
  const { db } = deps;

  const screenshot = async (screenshotId: string) => {
    const shot = /^[0-9]{1,18}$/.test(screenshotId) ? await findScreenshot(db, screenshotId) : null;
    if (!shot) throw new SeatwatchError('not_found', 'no such screenshot');
    return shot;
  };

  /**
   * One access record per project a view reached: the seat and its accounts
   * when it covered one, else every seat looked at with its accounts
   * (details.seats), bucketed by the view (viewSubject).
   */
  const recordView = async (
    who: RequestActor,
    request: Parameters<typeof viewSubject>[0] & { from: number; to: number },
    seats: readonly TimelineSeat[],
    purpose: { reason: string | null; caseId: string | null },
    look: {
      action: string;
      route: string;
      details: (looked: { id: string; accounts: string[] }[], one: boolean) => Record<string, unknown>;
      targetsSeat: boolean;
    },
  ): Promise<void> => {
    for (const projectId of new Set(seats.map((seat) => seat.projectId))) {
      const looked = await seatsLooked(
        deps.access,
        db,
        seats.filter((seat) => seat.projectId === projectId),
        request,
      );
      const one = looked.length === 1 ? looked[0]! : null;
      await deps.access.read({
        who,
        action: look.action,
        route: look.route,
        projectId,
        seatId: one?.id ?? null,
        // Whose data the read may show: only their self-views list it.
        accounts: one?.accounts ?? null,
        subject: viewSubject(request, looked),
        reason: purpose.reason,
        caseId: purpose.caseId,
        ...(look.targetsSeat ? { target: one ? { kind: 'seat', id: one.id } : null } : {}),
        details: look.details(looked, one !== null),
      });
    }
  };

  return {
    /** Every seat the viewer may investigate (for the seat picker). */
    seats: (scope: Scope) => seatsInScope(db, scope),

    /**
     * The timeline a request asks for. The look is recorded with its
     * purpose through the access records, once per request and project
     * (not once per seat): one seat's read names the seat and its accounts,
     * a read of several names each in details.seats; the pages of one query
     * within a minute only count up (viewSubject).
     */
    async read(principal: Principal, who: RequestActor, request: TimelineRequest): Promise<Timeline> {
      const seats = await timelineSeats(db, principal, request);
      const projects = [...new Set(seats.map((seat) => seat.projectId))];
      const purpose = await checkPurpose(db, principal, request, projects);
      const timeline = await readTimeline(db, seats, request);
      await recordView(who, request, seats, purpose, {
        action: 'timeline.read',
        route: TIMELINE_ROUTE,
        targetsSeat: true,
        details: (looked, one) => ({
          ...(one ? {} : { seats: looked }),
          from: request.from,
          to: request.to,
          q: request.q ?? null,
          apps: request.apps ?? [],
          operators: request.operators ?? [],
          sections: request.sections ?? 'all',
          page: request.cursors ?? null,
        }),
      });
      return timeline;
    },

    /**
     * The visual timeline's summary of a view: per seat and bucket what
     * dominated (summaryCells). The look is recorded once per view and
     * project through the access records, not once per seat: the entry
     * names every seat and whose data each may show (details.seats), and
     * repeats of the same view within a minute only count up (issue #13).
     */
    async summary(
      principal: Principal,
      who: RequestActor,
      request: TimelineSummaryRequest,
    ): Promise<TimelineSummary> {
      const seats = await timelineSeats(db, principal, request);
      const projects = [...new Set(seats.map((seat) => seat.projectId))];
      const purpose = await checkPurpose(db, principal, request, projects);
      checkRange(request.from, request.to);
      const grid = {
        from: request.from,
        to: request.to,
        ...bucketGrid(request.from, request.to, request.buckets),
      };
      const summary: TimelineSummary = {
        from: request.from,
        to: request.to,
        bucketMs: grid.bucketMs,
        buckets: grid.buckets,
        seats: seats.map((seat) => ({ ...seat })),
        cells: [],
      };
      if (seats.length > 0) {
        const window = { ...grid, seatIds: seats.map((seat) => seat.id) };
        const [spans, states, markers] = await Promise.all([
          spanBuckets(db, window),
          stateBuckets(db, window, Math.min(request.to, deps.now())),
          markerBuckets(db, window),
        ]);
        summary.cells = summaryCells({ spans, states, markers }, grid);
      }
      // One bucket per view (its seats and range): another team or another range in the same minute
      // is an entry of its own; the same view asked again only counts up.
      await recordView(who, request, seats, purpose, {
        action: 'timeline.summary',
        route: SUMMARY_ROUTE,
        targetsSeat: false,
        details: (looked) => ({
          seats: looked,
          from: request.from,
          to: request.to,
          bucketMs: grid.bucketMs,
          operators: request.operators ?? [],
        }),
      });
      return summary;
    },

    /** The screenshot as a resource of the policy (its seat's project and team). */
    async screenshotResource(screenshotId: string): Promise<Resource> {
      const shot = await screenshot(screenshotId);
      return { kind: 'team', projectId: shot.project_id, teamId: shot.team_id };
    },

    /** A full-resolution screenshot, as the seat sent it; the look is audited with its purpose. */
    async viewScreenshot(principal: Principal, who: RequestActor, screenshotId: string, purpose: Purpose) {
      const shot = await screenshot(screenshotId);
      const checked = await checkPurpose(db, principal, purpose, [shot.project_id]);
      const bytes = await deps.blobs.get(shot.sha256);
      if (!bytes) throw new SeatwatchError('not_found', 'the screenshot is gone (retention)');
      const accounts = await deps.access.screenshotAccounts(db, shot.id);
      await recordAudit(
        db,
        {
          ...who,
          action: 'screenshot.view',
          projectId: shot.project_id,
          seatId: shot.seat_id,
          caseId: checked.caseId,
          reason: checked.reason,
          target: { kind: 'screenshot', id: String(shot.id) },
          details: { time: shot.time.getTime(), sha256: shot.sha256, accounts },
        },
        deps.now(),
      );
      return { bytes, mime: safeImageType(shot.mime) };
    },
  };
}
