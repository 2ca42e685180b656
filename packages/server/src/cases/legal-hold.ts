/**
 * Legal holds. Retention already skips rows whose legal_hold flag is set
 * (retention/retention.repository.ts), so holding a case sets that flag on
 * every row its items cover. Releasing clears the flags of the case's rows
 * (or of one removed item's: clearItemRows) and sets again those that
 * another held case of the project still covers: run both in one
 * transaction, so retention never sees the gap.
 *
 * Releasing takes two people (issue #11): the first asks, with a reason
 * (`case.hold_release_request` in the audit log, which is where the
 * request lives: append-only, so nobody can forge or erase it), and a
 * second investigator of the project approves within a week
 * (`case.hold_release`, naming both). A seat held as a whole through the
 * admin API is released the same way by two administrators
 * (`seat.hold_release_request`, then `seat.hold_release`).
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { AuditEntry } from '../audit/audit-chain.js';
import { latestCaseEntry, latestSeatEntry } from '../audit/audit-log.js';
import type { Executor } from '../db/connect.js';
import { flagCaseRows, heldCaseIds, projectHoldCounts } from './legal-hold.repository.js';

/** After a case was put on hold, or an item was added to a held case. */
export async function holdCaseRows(ex: Executor, caseId: string): Promise<void> {
  await flagCaseRows(ex, [caseId], true);
}

/**
 * A released hold (call it once the case row says so): what the case
 * covered is free, unless another held case of the project covers it.
 */
export async function releaseCaseRows(
  ex: Executor,
  caseRow: { id: string; projectId: string },
): Promise<void> {
  await flagCaseRows(ex, [caseRow.id], false);
  await reapplyProjectHolds(ex, caseRow.projectId);
}

/** Holds again whatever the project's held cases cover, after a clear (clearItemRows, releaseCaseRows). */
export async function reapplyProjectHolds(ex: Executor, projectId: string): Promise<void> {
  await flagCaseRows(ex, await heldCaseIds(ex, projectId), true);
}

/**
 * Holds again everything every held case covers. Rows can arrive after a
 * hold was placed (an agent's outbox delivering a held range late), so the
 * retention job calls this before it deletes anything.
 */
export async function refreshAllCaseHolds(ex: Executor): Promise<void> {
  await flagCaseRows(ex, await heldCaseIds(ex, null), true);
}

/** Refuses (conflict) while a held case, a held seat or a held row stands in the project. */
export async function refuseWhileProjectHeld(ex: Executor, projectId: string): Promise<void> {
  const holds = await projectHoldCounts(ex, projectId);
  if (holds.cases + holds.seats + holds.rows > 0) {
    throw new SeatwatchError(
      'conflict',
      `legal hold stands (${holds.cases} held case(s), ${holds.seats} held seat(s)${holds.rows ? ', held rows' : ''}); release it first`,
    );
  }
}

export const HOLD_RELEASE_REQUEST = 'case.hold_release_request';
export const HOLD_RELEASE = 'case.hold_release';
export const HOLD_PLACE = 'case.hold_place';
/** How long a request to release a hold waits for its second person. */
export const RELEASE_REQUEST_TTL_MS = 7 * 86_400_000;

/** A whole seat's hold (the admin API's seat legal-hold route) follows the same rule, between administrators. */
export const SEAT_HOLD_RELEASE_REQUEST = 'seat.hold_release_request';
export const SEAT_HOLD_RELEASE = 'seat.hold_release';
export const SEAT_HOLD_PLACE = 'seat.hold_place';

/**
 * The request among a hold's entries (newest first, one of place, request,
 * release) that still waits: the newest, if it is a request younger than
 * the TTL. A later placing or release ends it.
 */
function waitingRequest(latest: AuditEntry | null, requestAction: string, now: number): AuditEntry | null {
  if (!latest || latest.action !== requestAction || latest.outcome !== 'success') return null;
  return now - latest.at <= RELEASE_REQUEST_TTL_MS ? latest : null;
}

/** The request to release this case's hold that waits for a second person, or null. */
export async function pendingHoldRelease(
  ex: Executor,
  caseId: string,
  now: number,
): Promise<AuditEntry | null> {
  const latest = await latestCaseEntry(ex, caseId, [HOLD_PLACE, HOLD_RELEASE_REQUEST, HOLD_RELEASE]);
  return waitingRequest(latest, HOLD_RELEASE_REQUEST, now);
}

/** The request to release this seat's own hold that waits for a second administrator, or null. */
export async function pendingSeatHoldRelease(
  ex: Executor,
  seatId: string,
  now: number,
): Promise<AuditEntry | null> {
  const latest = await latestSeatEntry(ex, seatId, [
    SEAT_HOLD_PLACE,
    SEAT_HOLD_RELEASE_REQUEST,
    SEAT_HOLD_RELEASE,
  ]);
  return waitingRequest(latest, SEAT_HOLD_RELEASE_REQUEST, now);
}

/** Whether the person approving is the one who asked (by user id when there is one). */
export function samePerson(request: AuditEntry, who: { actor: string; actorId: string | null }): boolean {
  return request.actorId !== null || who.actorId !== null
    ? request.actorId === who.actorId
    : request.actor === who.actor;
}
