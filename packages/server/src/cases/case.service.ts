/**
 * Cases: create (by hand or from an anomaly), read, list, change, notes,
 * items, legal hold. Each function runs on the executor it is given; the
 * routes wrap a change and its audit entry in one transaction.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type {
  AddCaseItemRequest,
  AssigneeOption,
  CaseDetail,
  CaseItem,
  CaseStatus,
  CaseSummary,
  UpdateCaseRequest,
} from '@seatwatch/shared/dashboard-api';
import type { Executor } from '../db/connect.js';
import {
  type CaseItemRow,
  type CaseNoteRow,
  type CaseRow,
  type CaseSummaryRow,
  caseItemRows,
  caseNoteRows,
  caseSummaries,
  caseSummary,
  deleteItem,
  findCase,
  findItem,
  insertCase,
  insertItem,
  insertNote,
  investigatorsOf,
  isInvestigatorOf,
  isProjectSeat,
  projectAnomaly,
  type RowKind,
  rowLines,
  rowSeat,
  updateCaseRow,
} from './cases.repository.js';
import { holdCaseRows, reapplyProjectHolds, releaseCaseRows } from './legal-hold.js';
import { clearItemRows } from './legal-hold.repository.js';

export type { CaseRow } from './cases.repository.js';
// The routes audit an export once per seat the case touches.
export { caseSeatIds } from './cases.repository.js';

/** Context kept around an anomaly a case is opened from: its seat, this long before and after. */
export const ANOMALY_CONTEXT_MS = 30 * 60_000;

const ms = (date: Date | null) => (date === null ? null : date.getTime());

/** The case, or not_found. */
export async function requireCase(ex: Executor, caseId: string): Promise<CaseRow> {
  const row = await findCase(ex, caseId);
  if (!row) throw new SeatwatchError('not_found', 'no such case');
  return row;
}

/** An assignee must be a user who may work cases in the project. */
async function checkAssignee(ex: Executor, projectId: string, userId: string): Promise<void> {
  if (!(await isInvestigatorOf(ex, projectId, userId))) {
    throw new SeatwatchError('bad_request', 'the assignee must be an investigator of this project');
  }
}

/** Investigators who may be assigned cases of the project. */
export function assigneeOptions(ex: Executor, projectId: string): Promise<AssigneeOption[]> {
  return investigatorsOf(ex, projectId);
}

export interface NewCase {
  projectId: string;
  title: string;
  description?: string | undefined;
  assigneeId?: string | null | undefined;
  fromAnomalyId?: string | undefined;
  actor: string;
  now: number;
}

export async function createCase(ex: Executor, input: NewCase): Promise<CaseRow> {
  if (input.assigneeId) await checkAssignee(ex, input.projectId, input.assigneeId);
  const anomaly = input.fromAnomalyId ? await projectAnomaly(ex, input.projectId, input.fromAnomalyId) : null;
  if (input.fromAnomalyId && !anomaly)
    throw new SeatwatchError('not_found', 'no such anomaly in this project');
  const now = new Date(input.now);
  const row = await insertCase(ex, {
    projectId: input.projectId,
    title: input.title,
    description: input.description ?? '',
    assigneeId: input.assigneeId ?? null,
    openedFromAnomalyId: anomaly?.id ?? null,
    createdBy: input.actor,
    createdAt: now,
    updatedAt: now,
  });
  if (anomaly) {
    await insertItem(ex, {
      caseId: row.id,
      projectId: row.projectId,
      kind: 'anomaly',
      refId: anomaly.id,
      seatId: anomaly.seatId,
      note: 'the anomaly the case was opened from',
      addedBy: input.actor,
      addedAt: now,
    });
    if (anomaly.seatId) {
      await insertItem(ex, {
        caseId: row.id,
        projectId: row.projectId,
        kind: 'time_range',
        seatId: anomaly.seatId,
        rangeFrom: new Date(anomaly.firstAt.getTime() - ANOMALY_CONTEXT_MS),
        rangeTo: new Date(anomaly.lastAt.getTime() + ANOMALY_CONTEXT_MS),
        note: 'around the anomaly',
        addedBy: input.actor,
        addedAt: now,
      });
    }
  }
  return row;
}

export async function updateCase(
  ex: Executor,
  current: CaseRow,
  patch: UpdateCaseRequest,
  now: number,
): Promise<CaseRow> {
  if (patch.assigneeId) await checkAssignee(ex, current.projectId, patch.assigneeId);
  const status: CaseStatus | undefined = patch.status;
  return updateCaseRow(ex, current.id, {
    ...(patch.title !== undefined ? { title: patch.title } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    ...(patch.assigneeId !== undefined ? { assigneeId: patch.assigneeId } : {}),
    ...(status !== undefined
      ? { status, closedAt: status === 'closed' ? (current.closedAt ?? new Date(now)) : null }
      : {}),
    updatedAt: new Date(now),
  });
}

export async function addNote(
  ex: Executor,
  caseRow: CaseRow,
  author: string,
  body: string,
  now: number,
): Promise<CaseNoteRow> {
  const note = await insertNote(ex, { caseId: caseRow.id, author, body, createdAt: new Date(now) });
  await touch(ex, caseRow.id, now);
  return note;
}

async function touch(ex: Executor, caseId: string, now: number): Promise<void> {
  await updateCaseRow(ex, caseId, { updatedAt: new Date(now) });
}

/** Checks that the item names something of the case's project, and finds its seat. */
async function resolveItem(
  ex: Executor,
  projectId: string,
  request: AddCaseItemRequest,
): Promise<{ refId: string | null; seatId: string | null; from: Date | null; to: Date | null }> {
  if (request.kind === 'time_range') {
    if (
      !request.seatId ||
      request.from === undefined ||
      request.to === undefined ||
      request.to < request.from
    ) {
      throw new SeatwatchError('bad_request', 'a time range needs seatId, from and to (to ≥ from)');
    }
    if (!(await isProjectSeat(ex, projectId, request.seatId))) {
      throw new SeatwatchError('not_found', 'no such seat in this project');
    }
    return { refId: null, seatId: request.seatId, from: new Date(request.from), to: new Date(request.to) };
  }
  const kind: RowKind = request.kind;
  // Anomaly ids are UUIDs; every other row kind is a telemetry row with a bigint id.
  const numeric = kind !== 'anomaly';
  const refId = request.refId;
  if (!refId || (numeric && !/^[0-9]{1,18}$/.test(refId))) {
    throw new SeatwatchError('bad_request', `a ${kind} item needs the row's id as refId`);
  }
  const row = await rowSeat(ex, kind, projectId, refId);
  if (!row) throw new SeatwatchError('not_found', `no such ${kind} in this project`);
  return { refId, seatId: row.seatId, from: null, to: null };
}

export async function addItem(
  ex: Executor,
  caseRow: CaseRow,
  request: AddCaseItemRequest,
  actor: string,
  now: number,
): Promise<CaseItemRow> {
  const resolved = await resolveItem(ex, caseRow.projectId, request);
  const item = await insertItem(ex, {
    caseId: caseRow.id,
    projectId: caseRow.projectId,
    kind: request.kind,
    refId: resolved.refId,
    seatId: resolved.seatId,
    rangeFrom: resolved.from,
    rangeTo: resolved.to,
    note: request.note ?? '',
    addedBy: actor,
    addedAt: new Date(now),
  });
  if (caseRow.legalHold) await holdCaseRows(ex, caseRow.id);
  await touch(ex, caseRow.id, now);
  return item;
}

export async function removeItem(
  ex: Executor,
  caseRow: CaseRow,
  itemId: string,
  now: number,
): Promise<CaseItemRow> {
  const item = await findItem(ex, caseRow.id, itemId);
  if (!item) throw new SeatwatchError('not_found', 'no such item in this case');
  // Clear while the item still says what it covers; reapply once it is gone.
  await clearItemRows(ex, item.id);
  await deleteItem(ex, item.id);
  await reapplyProjectHolds(ex, caseRow.projectId);
  await touch(ex, caseRow.id, now);
  return item;
}

export async function setLegalHold(
  ex: Executor,
  caseRow: CaseRow,
  hold: boolean,
  actor: string,
  now: number,
): Promise<CaseRow> {
  if (caseRow.legalHold === hold) {
    throw new SeatwatchError('conflict', hold ? 'the case is on hold already' : 'the case is not on hold');
  }
  const row = await updateCaseRow(ex, caseRow.id, {
    legalHold: hold,
    legalHoldAt: hold ? new Date(now) : null,
    legalHoldBy: hold ? actor : null,
    updatedAt: new Date(now),
  });
  if (hold) await holdCaseRows(ex, caseRow.id);
  else await releaseCaseRows(ex, caseRow);
  return row;
}

// ---- reading ----------------------------------------------------------------------------------

const toSummary = (row: CaseSummaryRow): CaseSummary => ({
  ...row,
  createdAt: row.createdAt.getTime(),
  updatedAt: row.updatedAt.getTime(),
});

export async function listCases(
  ex: Executor,
  filter: { projectIds: readonly string[] | null; status?: CaseStatus | undefined; limit: number },
): Promise<CaseSummary[]> {
  if (filter.projectIds !== null && filter.projectIds.length === 0) return [];
  return (await caseSummaries(ex, filter)).map(toSummary);
}

/** One line per item for people, keyed kind/refId. */
async function itemSummaries(ex: Executor, items: readonly CaseItemRow[]): Promise<Map<string, string>> {
  const byKind = new Map<RowKind, string[]>();
  for (const item of items) {
    if (item.kind !== 'time_range' && item.refId) {
      byKind.set(item.kind, [...(byKind.get(item.kind) ?? []), item.refId]);
    }
  }
  const out = new Map<string, string>();
  for (const [kind, ids] of byKind) {
    for (const row of await rowLines(ex, kind, ids)) out.set(`${kind}/${row.id}`, row.line);
  }
  return out;
}

export async function caseDetail(ex: Executor, caseRow: CaseRow): Promise<CaseDetail> {
  const summary = await caseSummary(ex, caseRow.id);
  const items = await caseItemRows(ex, caseRow.id);
  const notes = await caseNoteRows(ex, caseRow.id);
  const lines = await itemSummaries(ex, items);
  return {
    case: {
      ...toSummary(summary),
      description: caseRow.description,
      closedAt: ms(caseRow.closedAt),
      legalHoldAt: ms(caseRow.legalHoldAt),
      legalHoldBy: caseRow.legalHoldBy,
    },
    items: items.map(
      (item): CaseItem => ({
        id: item.id,
        kind: item.kind,
        refId: item.refId,
        seatId: item.seatId,
        from: ms(item.rangeFrom),
        to: ms(item.rangeTo),
        note: item.note,
        addedBy: item.addedBy,
        addedAt: item.addedAt.getTime(),
        summary:
          item.kind === 'time_range'
            ? `${item.rangeFrom?.toISOString()} – ${item.rangeTo?.toISOString()}`
            : (lines.get(`${item.kind}/${item.refId}`) ?? 'no longer stored'),
      }),
    ),
    notes: notes.map((note) => ({
      id: note.id,
      author: note.author,
      body: note.body,
      createdAt: note.createdAt.getTime(),
    })),
  };
}
