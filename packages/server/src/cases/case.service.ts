/**
 * Cases: create (by hand or from an anomaly), read, list, change, notes,
 * items, legal hold. Each function runs on the executor it is given; the
 * routes wrap a change and its audit entry in one transaction.
 */
import { SeatwatchError } from '@seatwatch/shared';
import type {
  AddCaseItemRequest,
  CaseDetail,
  CaseItem,
  CaseItemKind,
  CaseStatus,
  CaseSummary,
  UpdateCaseRequest,
} from '@seatwatch/shared/dashboard-api';
import { and, asc, eq, sql } from 'drizzle-orm';
import { type Executor, queryRows } from '../db/connect.js';
import { caseItems, caseNotes, cases, userGrants, users } from '../db/schema/index.js';
import { bigintList, valueList } from '../db/sql-lists.js';
import { applyCaseHold, clearCaseRows, clearItemRows, reapplyProjectHolds } from './legal-hold.js';

export type CaseRow = typeof cases.$inferSelect;
type ItemRow = typeof caseItems.$inferSelect;

/** Context kept around an anomaly a case is opened from: its seat, this long before and after. */
export const ANOMALY_CONTEXT_MS = 30 * 60_000;

const ms = (date: Date | null) => (date === null ? null : date.getTime());

/** Telemetry tables behind the row kinds, with the column that says when. */
const ROW_KINDS: Readonly<Record<Exclude<CaseItemKind, 'time_range'>, { table: string; numeric: boolean }>> =
  {
    event: { table: 'events', numeric: true },
    activity_span: { table: 'activity_spans', numeric: true },
    device_event: { table: 'device_events', numeric: true },
    screenshot: { table: 'screenshots', numeric: true },
    login: { table: 'logins', numeric: true },
    anomaly: { table: 'anomalies', numeric: false },
  };

export async function findCase(ex: Executor, caseId: string): Promise<CaseRow | null> {
  const [row] = await ex.select().from(cases).where(eq(cases.id, caseId));
  return row ?? null;
}

/** The case, or not_found. */
export async function requireCase(ex: Executor, caseId: string): Promise<CaseRow> {
  const row = await findCase(ex, caseId);
  if (!row) throw new SeatwatchError('not_found', 'no such case');
  return row;
}

/** An assignee must be a user who may work cases in the project. */
async function checkAssignee(ex: Executor, projectId: string, userId: string): Promise<void> {
  const rows = await queryRows<{ id: string }>(
    ex,
    sql`select g.id from user_grants g join users u on u.id = g.user_id
        where g.user_id = ${userId} and g.role = 'investigator' and g.team_id is null
          and (g.project_id is null or g.project_id = ${projectId}) and u.disabled_at is null limit 1`,
  );
  if (rows.length === 0) {
    throw new SeatwatchError('bad_request', 'the assignee must be an investigator of this project');
  }
}

/** Investigators who may be assigned cases of the project. */
export async function assigneeOptions(
  ex: Executor,
  projectId: string,
): Promise<Array<{ id: string; username: string; displayName: string }>> {
  return ex
    .selectDistinct({ id: users.id, username: users.username, displayName: users.displayName })
    .from(users)
    .innerJoin(userGrants, eq(userGrants.userId, users.id))
    .where(
      and(
        eq(userGrants.role, 'investigator'),
        sql`${userGrants.teamId} is null`,
        sql`(${userGrants.projectId} is null or ${userGrants.projectId} = ${projectId})`,
        sql`${users.disabledAt} is null`,
      ),
    )
    .orderBy(asc(users.username));
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
  let anomaly: { id: string; seatId: string | null; firstAt: number; lastAt: number } | null = null;
  if (input.fromAnomalyId) {
    const [row] = await queryRows<{
      id: string;
      seat_id: string | null;
      first_at: Date | string;
      last_at: Date | string;
    }>(
      ex,
      sql`select id, seat_id, first_at, last_at from anomalies where id = ${input.fromAnomalyId} and project_id = ${input.projectId}`,
    );
    if (!row) throw new SeatwatchError('not_found', 'no such anomaly in this project');
    anomaly = {
      id: row.id,
      seatId: row.seat_id,
      firstAt: new Date(row.first_at).getTime(),
      lastAt: new Date(row.last_at).getTime(),
    };
  }
  const now = new Date(input.now);
  const [created] = await ex
    .insert(cases)
    .values({
      projectId: input.projectId,
      title: input.title,
      description: input.description ?? '',
      assigneeId: input.assigneeId ?? null,
      openedFromAnomalyId: anomaly?.id ?? null,
      createdBy: input.actor,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  const row = created!;
  if (anomaly) {
    await ex.insert(caseItems).values({
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
      await ex.insert(caseItems).values({
        caseId: row.id,
        projectId: row.projectId,
        kind: 'time_range',
        seatId: anomaly.seatId,
        rangeFrom: new Date(anomaly.firstAt - ANOMALY_CONTEXT_MS),
        rangeTo: new Date(anomaly.lastAt + ANOMALY_CONTEXT_MS),
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
  const [row] = await ex
    .update(cases)
    .set({
      ...(patch.title !== undefined ? { title: patch.title } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.assigneeId !== undefined ? { assigneeId: patch.assigneeId } : {}),
      ...(status !== undefined
        ? { status, closedAt: status === 'closed' ? (current.closedAt ?? new Date(now)) : null }
        : {}),
      updatedAt: new Date(now),
    })
    .where(eq(cases.id, current.id))
    .returning();
  return row!;
}

export async function addNote(ex: Executor, caseRow: CaseRow, author: string, body: string, now: number) {
  const [note] = await ex
    .insert(caseNotes)
    .values({ caseId: caseRow.id, author, body, createdAt: new Date(now) })
    .returning();
  await touch(ex, caseRow.id, now);
  return note!;
}

async function touch(ex: Executor, caseId: string, now: number): Promise<void> {
  await ex
    .update(cases)
    .set({ updatedAt: new Date(now) })
    .where(eq(cases.id, caseId));
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
    const [seat] = await queryRows<{ id: string }>(
      ex,
      sql`select id from seats where id = ${request.seatId} and project_id = ${projectId}`,
    );
    if (!seat) throw new SeatwatchError('not_found', 'no such seat in this project');
    return { refId: null, seatId: seat.id, from: new Date(request.from), to: new Date(request.to) };
  }
  const { table, numeric } = ROW_KINDS[request.kind];
  const refId = request.refId;
  if (!refId || (numeric && !/^[0-9]{1,18}$/.test(refId))) {
    throw new SeatwatchError('bad_request', `a ${request.kind} item needs the row's id as refId`);
  }
  const [row] = await queryRows<{ seat_id: string | null }>(
    ex,
    sql`select seat_id from ${sql.raw(table)} where id = ${numeric ? sql`${refId}::bigint` : sql`${refId}`}
        and project_id = ${projectId}`,
  );
  if (!row) throw new SeatwatchError('not_found', `no such ${request.kind} in this project`);
  return { refId, seatId: row.seat_id, from: null, to: null };
}

export async function addItem(
  ex: Executor,
  caseRow: CaseRow,
  request: AddCaseItemRequest,
  actor: string,
  now: number,
): Promise<ItemRow> {
  const resolved = await resolveItem(ex, caseRow.projectId, request);
  const [item] = await ex
    .insert(caseItems)
    .values({
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
    })
    .returning();
  if (caseRow.legalHold) await applyCaseHold(ex, caseRow.id);
  await touch(ex, caseRow.id, now);
  return item!;
}

export async function removeItem(
  ex: Executor,
  caseRow: CaseRow,
  itemId: string,
  now: number,
): Promise<ItemRow> {
  const [item] = await ex
    .select()
    .from(caseItems)
    .where(and(eq(caseItems.id, itemId), eq(caseItems.caseId, caseRow.id)));
  if (!item) throw new SeatwatchError('not_found', 'no such item in this case');
  await clearItemRows(ex, item.id);
  await ex.delete(caseItems).where(eq(caseItems.id, item.id));
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
  const [row] = await ex
    .update(cases)
    .set({
      legalHold: hold,
      legalHoldAt: hold ? new Date(now) : null,
      legalHoldBy: hold ? actor : null,
      updatedAt: new Date(now),
    })
    .where(eq(cases.id, caseRow.id))
    .returning();
  if (hold) await applyCaseHold(ex, caseRow.id);
  else {
    await clearCaseRows(ex, caseRow.id);
    await reapplyProjectHolds(ex, caseRow.projectId);
  }
  return row!;
}

// ---- reading ----------------------------------------------------------------------------------

interface SummaryRow {
  id: string;
  project_id: string;
  title: string;
  status: CaseStatus;
  assignee_id: string | null;
  assignee_name: string | null;
  legal_hold: boolean;
  opened_from_anomaly_id: string | null;
  created_by: string;
  created_at: Date | string;
  updated_at: Date | string;
  items: string | number;
}

const toSummary = (row: SummaryRow): CaseSummary => ({
  id: row.id,
  projectId: row.project_id,
  title: row.title,
  status: row.status,
  assigneeId: row.assignee_id,
  assigneeName: row.assignee_name,
  legalHold: row.legal_hold,
  openedFromAnomalyId: row.opened_from_anomaly_id,
  createdBy: row.created_by,
  createdAt: new Date(row.created_at).getTime(),
  updatedAt: new Date(row.updated_at).getTime(),
  items: Number(row.items),
});

const summarySelect = sql`
  select c.id, c.project_id, c.title, c.status, c.assignee_id, u.username as assignee_name, c.legal_hold,
         c.opened_from_anomaly_id, c.created_by, c.created_at, c.updated_at,
         (select count(*) from case_items i where i.case_id = c.id) as items
  from cases c left join users u on u.id = c.assignee_id`;

export async function listCases(
  ex: Executor,
  filter: { projectIds: readonly string[] | null; status?: CaseStatus | undefined; limit: number },
): Promise<CaseSummary[]> {
  if (filter.projectIds !== null && filter.projectIds.length === 0) return [];
  const projects =
    filter.projectIds === null
      ? sql`true`
      : sql`c.project_id in (select jsonb_array_elements_text(${JSON.stringify(filter.projectIds)}::jsonb))`;
  const rows = await queryRows<SummaryRow>(
    ex,
    sql`${summarySelect} where ${projects} and ${filter.status ? sql`c.status = ${filter.status}` : sql`true`}
        order by c.updated_at desc limit ${filter.limit}`,
  );
  return rows.map(toSummary);
}

/** One line per item for people: what the row is (strings from the seat stay plain text). */
async function itemSummaries(ex: Executor, items: readonly ItemRow[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const byKind = new Map<string, string[]>();
  for (const item of items) {
    if (item.refId) byKind.set(item.kind, [...(byKind.get(item.kind) ?? []), item.refId]);
  }
  const list = valueList;
  const numericList = bigintList;
  const queries: Array<[string, Promise<Array<{ id: string | number; line: string }>>]> = [];
  const add = (kind: string, query: (ids: string[]) => Parameters<typeof queryRows>[1]) => {
    const ids = byKind.get(kind);
    if (ids?.length) queries.push([kind, queryRows(ex, query(ids))]);
  };
  add(
    'activity_span',
    (ids) =>
      sql`select id, app || ' — ' || title as line from activity_spans where id in ${numericList(ids)}`,
  );
  add(
    'screenshot',
    (ids) =>
      sql`select id, 'screenshot ' || width || '×' || height || ', monitor ' || monitor as line from screenshots where id in ${numericList(ids)}`,
  );
  add(
    'device_event',
    (ids) =>
      sql`select id, action || ': ' || name as line from device_events where id in ${numericList(ids)}`,
  );
  add('event', (ids) => sql`select id, type as line from events where id in ${numericList(ids)}`);
  add(
    'login',
    (ids) =>
      sql`select id, kind || ' from ' || ip || case when allowed then '' else ' (refused)' end as line from logins where id in ${numericList(ids)}`,
  );
  add(
    'anomaly',
    (ids) =>
      sql`select id, rule || ' (' || severity || ', ' || count || '×)' as line from anomalies where id in ${list(ids)}`,
  );
  for (const [kind, query] of queries) {
    for (const row of await query) out.set(`${kind}/${row.id}`, row.line);
  }
  return out;
}

export async function caseDetail(ex: Executor, caseRow: CaseRow): Promise<CaseDetail> {
  const [summary] = await queryRows<SummaryRow>(ex, sql`${summarySelect} where c.id = ${caseRow.id}`);
  const items = await ex
    .select()
    .from(caseItems)
    .where(eq(caseItems.caseId, caseRow.id))
    .orderBy(asc(caseItems.addedAt), asc(caseItems.kind), asc(caseItems.id));
  const notes = await ex
    .select()
    .from(caseNotes)
    .where(eq(caseNotes.caseId, caseRow.id))
    .orderBy(asc(caseNotes.createdAt), asc(caseNotes.id));
  const lines = await itemSummaries(ex, items);
  return {
    case: {
      ...toSummary(summary!),
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

export async function caseItemRows(ex: Executor, caseId: string): Promise<ItemRow[]> {
  return ex
    .select()
    .from(caseItems)
    .where(eq(caseItems.caseId, caseId))
    .orderBy(asc(caseItems.addedAt), asc(caseItems.kind), asc(caseItems.id));
}

/** Seats a case touches (for the audit entries of its reads and exports). */
export async function caseSeatIds(ex: Executor, caseId: string): Promise<string[]> {
  const rows = await ex
    .selectDistinct({ seatId: caseItems.seatId })
    .from(caseItems)
    .where(and(eq(caseItems.caseId, caseId), sql`${caseItems.seatId} is not null`));
  return rows.map((row) => row.seatId!);
}
