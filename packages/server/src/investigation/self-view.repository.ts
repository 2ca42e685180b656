/**
 * Every query of the operator self-view: its links and sessions, and what
 * it tells the operator of their seat. A session bound to an OS account
 * sees only that account's rows (db/row-operator.ts says whose a row is),
 * not other shifts' at the same seat.
 */
import type {
  TimelineDevice,
  TimelineLogin,
  TimelineScreenshot,
  TimelineSpan,
} from '@seatwatch/shared/dashboard-api';
import { and, eq, gt, isNull, type SQL, sql } from 'drizzle-orm';
import type { ThumbnailSubject } from '../blobs/screenshot-thumbnails.js';
import type { Executor } from '../db/connect.js';
import { nullable, rowsOf } from '../db/raw-rows.js';
import { rowOperator } from '../db/row-operator.js';
import { activitySpans, agents, projects, screenshots, seats, selfViewLinks } from '../db/schema/index.js';
import {
  DEVICE_ROW,
  deviceFromRow,
  LOGIN_ROW,
  loginFromRow,
  SCREENSHOT_ROW,
  SPAN_ROW,
  screenshotFromRow,
  spanFromRow,
} from './timeline.repository.js';

type LinkRow = typeof selfViewLinks.$inferSelect;
export type NewLink = Pick<
  LinkRow,
  'projectId' | 'seatId' | 'agentId' | 'requestNonce' | 'tokenHash' | 'expiresAt' | 'createdAt' | 'osUser'
>;

/** Whose rows a self-view reads: one seat, and one OS account (lower case) or, for old links, all. */
export interface OperatorRows {
  seatId: string;
  operator: string | null;
}

/** The row (alias t) is the operator's. */
function ofOperator(rows: OperatorRows, timeColumn: string): SQL {
  return rows.operator === null ? sql`true` : sql`${rowOperator('t', timeColumn)} = ${rows.operator}`;
}

/** The agent that signs a link request, with its seat's name. */
export async function linkAgent(ex: Executor, agentId: string) {
  const [row] = await ex
    .select({
      id: agents.id,
      publicKey: agents.publicKey,
      status: agents.status,
      seatId: agents.seatId,
      projectId: agents.projectId,
      osUser: agents.osUser,
      seatName: seats.name,
    })
    .from(agents)
    .innerJoin(seats, eq(seats.id, agents.seatId))
    .where(eq(agents.id, agentId));
  return row ?? null;
}

/** Stores a link; false when its request nonce was used already. */
export async function insertLink(ex: Executor, link: NewLink): Promise<boolean> {
  const inserted = await ex
    .insert(selfViewLinks)
    .values(link)
    .onConflictDoNothing({ target: selfViewLinks.requestNonce })
    .returning({ id: selfViewLinks.id });
  return inserted.length > 0;
}

/** Uses an unused, unexpired link once: binds the session to it; null when there is no such link. */
export async function useLink(
  ex: Executor,
  link: { tokenHash: string; sessionHash: string; sessionExpiresAt: Date },
  now: Date,
) {
  const [row] = await ex
    .update(selfViewLinks)
    .set({ usedAt: now, sessionHash: link.sessionHash, sessionExpiresAt: link.sessionExpiresAt })
    .where(
      and(
        eq(selfViewLinks.tokenHash, link.tokenHash),
        isNull(selfViewLinks.usedAt),
        gt(selfViewLinks.expiresAt, now),
      ),
    )
    .returning({
      seatId: selfViewLinks.seatId,
      projectId: selfViewLinks.projectId,
      osUser: selfViewLinks.osUser,
    });
  return row ?? null;
}

/**
 * Whether the agent itself reported this OS account: in a hello, or on rows
 * it stamped (the machine service serves every session of a PC). An agent
 * may ask for a link to the view of such an account only.
 */
export async function agentReportedAccount(ex: Executor, agentId: string, osUser: string): Promise<boolean> {
  const [row] = await rowsOf(
    ex,
    sql`select (
        exists (select 1 from logins l where l.agent_id = ${agentId} and l.allowed and l.os_user = ${osUser})
        or exists (select 1 from events e where e.agent_id = ${agentId} and e.os_user = ${osUser})
      ) as reported`,
    { reported: Boolean },
  );
  return row?.reported === true;
}

/** The seat of an unexpired session, or null. */
export async function sessionLink(ex: Executor, sessionHash: string, now: Date) {
  const [row] = await ex
    .select({
      seatId: selfViewLinks.seatId,
      projectId: selfViewLinks.projectId,
      expiresAt: selfViewLinks.sessionExpiresAt,
      osUser: selfViewLinks.osUser,
    })
    .from(selfViewLinks)
    .where(and(eq(selfViewLinks.sessionHash, sessionHash), gt(selfViewLinks.sessionExpiresAt, now)));
  return row ?? null;
}

/** The seat's name, site (for its policy), team and project name, or null. */
export async function seatInfo(ex: Executor, seatId: string) {
  const [row] = await ex
    .select({ name: seats.name, siteId: seats.siteId, teamId: seats.teamId, projectName: projects.name })
    .from(seats)
    .innerJoin(projects, eq(projects.id, seats.projectId))
    .where(eq(seats.id, seatId));
  return row ?? null;
}

/** How much was collected about the operator at the seat, and since when. */
export async function collectedCounts(ex: Executor, rows: OperatorRows) {
  const { seatId } = rows;
  const [row] = await rowsOf(
    ex,
    sql`select
      (select count(*) from activity_spans t where t.seat_id = ${seatId} and ${ofOperator(rows, 'started_at')}) as spans,
      (select count(*) from screenshots t where t.seat_id = ${seatId} and ${ofOperator(rows, 'time')}) as screenshots,
      (select count(*) from device_events t where t.seat_id = ${seatId} and ${ofOperator(rows, 'time')}) as devices,
      (select count(*) from logins t join agents a on a.id = t.agent_id
        where a.seat_id = ${seatId} and ${loginOfOperator(rows)}) as logins,
      (select min(t.started_at) from activity_spans t
        where t.seat_id = ${seatId} and ${ofOperator(rows, 'started_at')}) as oldest`,
    {
      spans: Number,
      screenshots: Number,
      devices: Number,
      logins: Number,
      oldest: nullable(activitySpans.startedAt),
    },
  );
  return row ?? null;
}

/** One of the operator's screenshots at the seat (its image and thumbnail hashes), or null. */
export async function seatScreenshot(
  ex: Executor,
  rows: OperatorRows,
  screenshotId: number,
): Promise<ThumbnailSubject | null> {
  const [row] = await rowsOf(
    ex,
    sql`select t.id, t.time, t.sha256, t.thumb_sha256 from screenshots t
        where t.id = ${screenshotId} and t.seat_id = ${rows.seatId} and ${ofOperator(rows, 'time')}`,
    {
      id: screenshots.id,
      time: screenshots.time,
      sha256: screenshots.sha256,
      thumb_sha256: screenshots.thumbSha256,
    },
  );
  return row ? { id: row.id, time: row.time, sha256: row.sha256, thumbSha256: row.thumb_sha256 } : null;
}

/** A login record is the operator's when it names their account. */
function loginOfOperator(rows: OperatorRows): SQL {
  return rows.operator === null ? sql`true` : sql`lower(t.os_user) = ${rows.operator}`;
}

/** The operator's latest activity spans at the seat, newest first. */
export async function latestSpans(ex: Executor, rows: OperatorRows, limit: number): Promise<TimelineSpan[]> {
  const found = await rowsOf(
    ex,
    sql`select t.id, t.seat_id, t.started_at, t.ended_at, t.app, t.title, t.os_user from activity_spans t
        where t.seat_id = ${rows.seatId} and ${ofOperator(rows, 'started_at')}
        order by t.started_at desc, t.id desc limit ${limit}`,
    SPAN_ROW,
  );
  return found.map(spanFromRow);
}

/** The operator's latest screenshots at the seat, newest first. */
export async function latestScreenshots(
  ex: Executor,
  rows: OperatorRows,
  limit: number,
): Promise<TimelineScreenshot[]> {
  const found = await rowsOf(
    ex,
    sql`select t.id, t.seat_id, t.time, t.width, t.height, t.monitor, t.trigger,
               t.os_user
        from screenshots t where t.seat_id = ${rows.seatId} and ${ofOperator(rows, 'time')}
        order by t.time desc, t.id desc limit ${limit}`,
    SCREENSHOT_ROW,
  );
  return found.map(screenshotFromRow);
}

/** Devices attached and removed while the operator was at the seat, newest first. */
export async function latestDevices(
  ex: Executor,
  rows: OperatorRows,
  limit: number,
): Promise<TimelineDevice[]> {
  const found = await rowsOf(
    ex,
    sql`select t.id, t.seat_id, t.time, t.action, t.name, t.manufacturer, t.vendor_id, t.product_id, t.serial,
               t.mass_storage, t.os_user
        from device_events t where t.seat_id = ${rows.seatId} and ${ofOperator(rows, 'time')}
        order by t.time desc, t.id desc limit ${limit}`,
    DEVICE_ROW,
  );
  return found.map(deviceFromRow);
}

/** The operator's sign-ins (hellos and enrollments under their account) at the seat, newest first. */
export async function latestLogins(
  ex: Executor,
  rows: OperatorRows,
  limit: number,
): Promise<TimelineLogin[]> {
  const found = await rowsOf(
    ex,
    sql`select t.id, coalesce(t.seat_id, a.seat_id) as seat_id, t.at, t.kind, t.ip, t.allowed, t.reason,
               t.hostname, t.os_user
        from logins t join agents a on a.id = t.agent_id
        where a.seat_id = ${rows.seatId} and ${loginOfOperator(rows)}
        order by t.at desc, t.id desc limit ${limit}`,
    LOGIN_ROW,
  );
  return found.map(loginFromRow);
}
