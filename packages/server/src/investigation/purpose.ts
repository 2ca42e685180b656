/**
 * Looks at a person's data need a purpose: a stated reason, or a case the
 * look belongs to. A linked case must be one the caller works on, in the
 * project of the data.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type { Purpose } from '@seatwatch/shared/dashboard-api';
import type { Executor } from '../db/connect.js';
import { can, type Principal } from '../domain/authz-policy.js';
import { citedCase } from './timeline.repository.js';

export interface CheckedPurpose {
  reason: string | null;
  caseId: string | null;
}

export async function checkPurpose(
  ex: Executor,
  principal: Principal,
  purpose: Purpose,
  projectIds: readonly string[],
): Promise<CheckedPurpose> {
  const reason = purpose.reason?.trim() || null;
  if (!purpose.caseId && (reason === null || reason.length < 5)) {
    throw new SeatwatchError('bad_request', 'give a reason (at least 5 characters) or link a case');
  }
  if (purpose.caseId) {
    const linked = await citedCase(ex, purpose.caseId);
    if (!linked || !can(principal, 'case.manage', { kind: 'project', projectId: linked.projectId })) {
      throw new SeatwatchError('not_found', 'no such case');
    }
    if (projectIds.some((projectId) => projectId !== linked.projectId)) {
      throw new SeatwatchError('bad_request', 'the linked case belongs to another project');
    }
    if (linked.status === 'closed') throw new SeatwatchError('conflict', 'the linked case is closed');
  }
  return { reason, caseId: purpose.caseId ?? null };
}
