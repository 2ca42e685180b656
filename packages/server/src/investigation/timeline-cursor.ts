/**
 * Keyset cursors for timeline pages: the (time, id) of the last row
 * served, as opaque base64url. Keyset rather than offset paging, so a
 * page deep into 60 days costs what the first page costs.
 */
import { SeatwatchError } from '@seatwatch/shared';

export interface TimelineCursor {
  /** ms */
  time: number;
  id: string;
}

export function encodeCursor(cursor: TimelineCursor): string {
  return Buffer.from(JSON.stringify([cursor.time, cursor.id]), 'utf8').toString('base64url');
}

/** `numericId`: the id must be a bigint row id (it is cast in SQL). */
export function decodeCursor(text: string | undefined, numericId = true): TimelineCursor | null {
  if (text === undefined || text === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw new SeatwatchError('bad_request', 'the cursor is not one this server made');
  }
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !Number.isSafeInteger(value[0]) ||
    typeof value[1] !== 'string' ||
    value[1].length > 128 ||
    (numericId && !/^[0-9]{1,18}$/.test(value[1]))
  ) {
    throw new SeatwatchError('bad_request', 'the cursor is not one this server made');
  }
  return { time: value[0] as number, id: value[1] as string };
}

/** Rows fetched with limit + 1: the extra row says whether a next page exists. */
export function pageOf<T>(
  rows: readonly T[],
  limit: number,
  keyOf: (row: T) => TimelineCursor,
): { items: T[]; next: string | null } {
  if (rows.length <= limit) return { items: [...rows], next: null };
  const items = rows.slice(0, limit);
  return { items, next: encodeCursor(keyOf(items.at(-1)!)) };
}
