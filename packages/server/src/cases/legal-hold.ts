/**
 * Legal holds. Retention already skips rows whose legal_hold flag is set
 * (retention/retention.repository.ts), so holding a case sets that flag on
 * every row its items cover. Releasing clears the flags of the case's rows
 * (or of one removed item's: clearItemRows) and sets again those that
 * another held case of the project still covers: run both in one
 * transaction, so retention never sees the gap.
 */
import { SeatwatchError } from '@seatwatch/shared';
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
