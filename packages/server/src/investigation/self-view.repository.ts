/** Every query of the operator self-view: its links and sessions, and what it tells the operator of their seat. */
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { nullable, rowsOf } from '../db/raw-rows.js';
import { activitySpans, agents, projects, screenshots, seats, selfViewLinks } from '../db/schema/index.js';

type LinkRow = typeof selfViewLinks.$inferSelect;
export type NewLink = Pick<
  LinkRow,
  'projectId' | 'seatId' | 'agentId' | 'requestNonce' | 'tokenHash' | 'expiresAt' | 'createdAt'
>;

/** The agent that signs a link request, with its seat's name. */
export async function linkAgent(ex: Executor, agentId: string) {
  const [row] = await ex
    .select({
      id: agents.id,
      publicKey: agents.publicKey,
      status: agents.status,
      seatId: agents.seatId,
      projectId: agents.projectId,
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
    .returning({ seatId: selfViewLinks.seatId, projectId: selfViewLinks.projectId });
  return row ?? null;
}

/** The seat of an unexpired session, or null. */
export async function sessionLink(ex: Executor, sessionHash: string, now: Date) {
  const [row] = await ex
    .select({
      seatId: selfViewLinks.seatId,
      projectId: selfViewLinks.projectId,
      expiresAt: selfViewLinks.sessionExpiresAt,
    })
    .from(selfViewLinks)
    .where(and(eq(selfViewLinks.sessionHash, sessionHash), gt(selfViewLinks.sessionExpiresAt, now)));
  return row ?? null;
}

/** The seat's name, site (for its policy) and project name, or null. */
export async function seatInfo(ex: Executor, seatId: string) {
  const [row] = await ex
    .select({ name: seats.name, siteId: seats.siteId, projectName: projects.name })
    .from(seats)
    .innerJoin(projects, eq(projects.id, seats.projectId))
    .where(eq(seats.id, seatId));
  return row ?? null;
}

/** How much was collected about the seat, and since when. */
export async function collectedCounts(ex: Executor, seatId: string) {
  const [row] = await rowsOf(
    ex,
    sql`select
      (select count(*) from activity_spans where seat_id = ${seatId}) as spans,
      (select count(*) from screenshots where seat_id = ${seatId}) as screenshots,
      (select count(*) from device_events where seat_id = ${seatId}) as devices,
      (select count(*) from logins l join agents a on a.id = l.agent_id where a.seat_id = ${seatId}) as logins,
      (select min(started_at) from activity_spans where seat_id = ${seatId}) as oldest`,
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

/** The thumbnail hash of one of the seat's screenshots, or null. */
export async function seatThumbnail(ex: Executor, seatId: string, screenshotId: number) {
  const [row] = await ex
    .select({ thumb: screenshots.thumbSha256 })
    .from(screenshots)
    .where(and(eq(screenshots.id, screenshotId), eq(screenshots.seatId, seatId)));
  return row?.thumb ?? null;
}
