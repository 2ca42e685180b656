/**
 * Every query of cases, their notes and items, and the lookups that check
 * an item names something of the case's project. Legal-hold flags are in
 * legal-hold.repository.ts.
 */
import type { CaseItemKind, CaseStatus } from '@seatwatch/shared/dashboard-api';
import { and, asc, type Column, desc, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import {
  activitySpans,
  anomalies,
  caseItems,
  caseNotes,
  cases,
  deviceEvents,
  events,
  logins,
  screenshots,
  seats,
  userGrants,
  users,
} from '../db/schema/index.js';
import { bigintList, valueList } from '../db/sql-lists.js';

export type CaseRow = typeof cases.$inferSelect;
export type CaseItemRow = typeof caseItems.$inferSelect;
export type CaseNoteRow = typeof caseNotes.$inferSelect;
export type NewCaseRow = typeof cases.$inferInsert;
export type NewCaseItemRow = typeof caseItems.$inferInsert;
/** The fields of a case a change may set. */
export type CaseChanges = Partial<Omit<NewCaseRow, 'id' | 'projectId' | 'createdBy' | 'createdAt'>>;
export type RowKind = Exclude<CaseItemKind, 'time_range'>;

export async function findCase(ex: Executor, caseId: string): Promise<CaseRow | null> {
  const [row] = await ex.select().from(cases).where(eq(cases.id, caseId));
  return row ?? null;
}

export async function insertCase(ex: Executor, values: NewCaseRow): Promise<CaseRow> {
  const [row] = await ex.insert(cases).values(values).returning();
  return row!;
}

export async function updateCaseRow(ex: Executor, caseId: string, changes: CaseChanges): Promise<CaseRow> {
  const [row] = await ex.update(cases).set(changes).where(eq(cases.id, caseId)).returning();
  return row!;
}

export async function insertNote(ex: Executor, values: typeof caseNotes.$inferInsert): Promise<CaseNoteRow> {
  const [note] = await ex.insert(caseNotes).values(values).returning();
  return note!;
}

export async function insertItem(ex: Executor, values: NewCaseItemRow): Promise<CaseItemRow> {
  const [item] = await ex.insert(caseItems).values(values).returning();
  return item!;
}

export async function findItem(ex: Executor, caseId: string, itemId: string): Promise<CaseItemRow | null> {
  const [item] = await ex
    .select()
    .from(caseItems)
    .where(and(eq(caseItems.id, itemId), eq(caseItems.caseId, caseId)));
  return item ?? null;
}

export async function deleteItem(ex: Executor, itemId: string): Promise<void> {
  await ex.delete(caseItems).where(eq(caseItems.id, itemId));
}

/** The case's items, in the order people added them. */
export function caseItemRows(ex: Executor, caseId: string): Promise<CaseItemRow[]> {
  return ex
    .select()
    .from(caseItems)
    .where(eq(caseItems.caseId, caseId))
    .orderBy(asc(caseItems.addedAt), asc(caseItems.kind), asc(caseItems.id));
}

export function caseNoteRows(ex: Executor, caseId: string): Promise<CaseNoteRow[]> {
  return ex
    .select()
    .from(caseNotes)
    .where(eq(caseNotes.caseId, caseId))
    .orderBy(asc(caseNotes.createdAt), asc(caseNotes.id));
}

/** Seats a case's items touch. */
export async function caseSeatIds(ex: Executor, caseId: string): Promise<string[]> {
  const rows = await ex
    .selectDistinct({ seatId: caseItems.seatId })
    .from(caseItems)
    .where(and(eq(caseItems.caseId, caseId), sql`${caseItems.seatId} is not null`));
  return rows.map((row) => row.seatId!);
}

// ---- people who may be assigned -----------------------------------------------------------------

/** An enabled user with a project-wide investigator grant on the project (or on every project). */
const investigatorOf = (projectId: string) =>
  and(
    eq(userGrants.role, 'investigator'),
    isNull(userGrants.teamId),
    or(isNull(userGrants.projectId), eq(userGrants.projectId, projectId)),
    isNull(users.disabledAt),
  );

export async function isInvestigatorOf(ex: Executor, projectId: string, userId: string): Promise<boolean> {
  const rows = await ex
    .select({ id: userGrants.id })
    .from(userGrants)
    .innerJoin(users, eq(users.id, userGrants.userId))
    .where(and(eq(userGrants.userId, userId), investigatorOf(projectId)))
    .limit(1);
  return rows.length > 0;
}

export function investigatorsOf(
  ex: Executor,
  projectId: string,
): Promise<Array<Pick<typeof users.$inferSelect, 'id' | 'username' | 'displayName'>>> {
  return ex
    .selectDistinct({ id: users.id, username: users.username, displayName: users.displayName })
    .from(users)
    .innerJoin(userGrants, eq(userGrants.userId, users.id))
    .where(investigatorOf(projectId))
    .orderBy(asc(users.username));
}

// ---- what items name ----------------------------------------------------------------------------

export async function projectAnomaly(
  ex: Executor,
  projectId: string,
  anomalyId: string,
): Promise<Pick<typeof anomalies.$inferSelect, 'id' | 'seatId' | 'firstAt' | 'lastAt'> | null> {
  const [row] = await ex
    .select({
      id: anomalies.id,
      seatId: anomalies.seatId,
      firstAt: anomalies.firstAt,
      lastAt: anomalies.lastAt,
    })
    .from(anomalies)
    .where(and(eq(anomalies.id, anomalyId), eq(anomalies.projectId, projectId)));
  return row ?? null;
}

export async function isProjectSeat(ex: Executor, projectId: string, seatId: string): Promise<boolean> {
  const rows = await ex
    .select({ id: seats.id })
    .from(seats)
    .where(and(eq(seats.id, seatId), eq(seats.projectId, projectId)));
  return rows.length > 0;
}

/** Telemetry ids are bigints that travel as text: compared as bigint, so no id loses digits as a JS number. */
const bigintId = (column: Column, id: string) => sql`${column} = ${id}::bigint`;

/**
 * The seat of the row a kind and id name, when the row is the project's
 * (`undefined` when there is no such row; numeric kinds need a numeric id).
 */
export async function rowSeat(
  ex: Executor,
  kind: RowKind,
  projectId: string,
  refId: string,
): Promise<{ seatId: string | null } | undefined> {
  switch (kind) {
    case 'event':
      return first(
        ex
          .select({ seatId: events.seatId })
          .from(events)
          .where(and(bigintId(events.id, refId), eq(events.projectId, projectId))),
      );
    case 'activity_span':
      return first(
        ex
          .select({ seatId: activitySpans.seatId })
          .from(activitySpans)
          .where(and(bigintId(activitySpans.id, refId), eq(activitySpans.projectId, projectId))),
      );
    case 'device_event':
      return first(
        ex
          .select({ seatId: deviceEvents.seatId })
          .from(deviceEvents)
          .where(and(bigintId(deviceEvents.id, refId), eq(deviceEvents.projectId, projectId))),
      );
    case 'screenshot':
      return first(
        ex
          .select({ seatId: screenshots.seatId })
          .from(screenshots)
          .where(and(bigintId(screenshots.id, refId), eq(screenshots.projectId, projectId))),
      );
    case 'login':
      return first(
        ex
          .select({ seatId: logins.seatId })
          .from(logins)
          .where(and(bigintId(logins.id, refId), eq(logins.projectId, projectId))),
      );
    case 'anomaly':
      return first(
        ex
          .select({ seatId: anomalies.seatId })
          .from(anomalies)
          .where(and(eq(anomalies.id, refId), eq(anomalies.projectId, projectId))),
      );
  }
}

async function first<T>(rows: Promise<T[]>): Promise<T | undefined> {
  return (await rows)[0];
}

/** One line per row for people (strings from the seat stay plain text), by id. */
export async function rowLines(
  ex: Executor,
  kind: RowKind,
  ids: readonly string[],
): Promise<Array<{ id: string | number; line: string }>> {
  const among = (column: Column) => sql`${column} in ${bigintList(ids)}`;
  switch (kind) {
    case 'activity_span':
      return ex
        .select({
          id: activitySpans.id,
          line: sql<string>`${activitySpans.app} || ' — ' || ${activitySpans.title}`,
        })
        .from(activitySpans)
        .where(among(activitySpans.id));
    case 'screenshot':
      return ex
        .select({
          id: screenshots.id,
          line: sql<string>`'screenshot ' || ${screenshots.width} || '×' || ${screenshots.height} || ', monitor ' || ${screenshots.monitor}`,
        })
        .from(screenshots)
        .where(among(screenshots.id));
    case 'device_event':
      return ex
        .select({
          id: deviceEvents.id,
          line: sql<string>`${deviceEvents.action} || ': ' || ${deviceEvents.name}`,
        })
        .from(deviceEvents)
        .where(among(deviceEvents.id));
    case 'event':
      return ex.select({ id: events.id, line: events.type }).from(events).where(among(events.id));
    case 'login':
      return ex
        .select({
          id: logins.id,
          line: sql<string>`${logins.kind} || ' from ' || ${logins.ip} || case when ${logins.allowed} then '' else ' (refused)' end`,
        })
        .from(logins)
        .where(among(logins.id));
    case 'anomaly':
      return ex
        .select({
          id: anomalies.id,
          line: sql<string>`${anomalies.rule} || ' (' || ${anomalies.severity} || ', ' || ${anomalies.count} || '×)'`,
        })
        .from(anomalies)
        .where(sql`${anomalies.id} in ${valueList(ids)}`);
  }
}

// ---- summaries ----------------------------------------------------------------------------------

const summaryColumns = {
  id: cases.id,
  projectId: cases.projectId,
  title: cases.title,
  status: cases.status,
  assigneeId: cases.assigneeId,
  assigneeName: users.username,
  legalHold: cases.legalHold,
  openedFromAnomalyId: cases.openedFromAnomalyId,
  createdBy: cases.createdBy,
  createdAt: cases.createdAt,
  updatedAt: cases.updatedAt,
  items: sql<number>`(select count(*) from case_items i where i.case_id = ${cases.id})`.mapWith(Number),
};

const summaries = (ex: Executor, where: SQL | undefined) =>
  ex.select(summaryColumns).from(cases).leftJoin(users, eq(users.id, cases.assigneeId)).where(where);

export type CaseSummaryRow = Awaited<ReturnType<typeof summaries>>[number];

/** Most recently changed first; `projectIds` null means every project. */
export function caseSummaries(
  ex: Executor,
  filter: { projectIds: readonly string[] | null; status?: CaseStatus | undefined; limit: number },
): Promise<CaseSummaryRow[]> {
  return summaries(
    ex,
    and(
      filter.projectIds === null ? undefined : inArray(cases.projectId, [...filter.projectIds]),
      filter.status ? eq(cases.status, filter.status) : undefined,
    ),
  )
    .orderBy(desc(cases.updatedAt))
    .limit(filter.limit);
}

export async function caseSummary(ex: Executor, caseId: string): Promise<CaseSummaryRow> {
  const [row] = await summaries(ex, eq(cases.id, caseId));
  return row!;
}
