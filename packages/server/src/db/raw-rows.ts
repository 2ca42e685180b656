/**
 * Rows of a hand-written SQL query, decoded by the schema's own columns.
 * Tuned queries (lateral joins, unions, keyset pages) keep their SQL text,
 * yet their rows come out typed and converted as drizzle's query builder
 * would give them: timestamps as Date, bigint ids as numbers, whichever
 * driver ran the query (node-postgres and PGlite both hand raw timestamps
 * over as text, and bigints as text or numbers).
 */
import { Column, is, type SQL } from 'drizzle-orm';
import { type Executor, queryRows } from './connect.js';

/** Decodes a computed value (a count, a flag) that no schema column describes. */
type Computed = (value: unknown) => unknown;
/** A value that may be null though its column is `not null`: an outer join's, or an aggregate over no rows. */
export interface Nullable<F extends Column | Computed> {
  readonly nullable: F;
}
type Field = Column | Computed | Nullable<Column | Computed>;
export type RowShape = Record<string, Field>;

type Decoded<F> =
  F extends Nullable<infer Inner>
    ? Decoded<Inner> | null
    : F extends Column
      ? F['_']['notNull'] extends true
        ? F['_']['data']
        : F['_']['data'] | null
      : F extends (value: unknown) => infer R
        ? R
        : never;

/** A row as the shape decodes it: one key per result column, named as the SQL names it. */
export type RowOf<S extends RowShape> = { -readonly [K in keyof S]: Decoded<S[K]> };

export const nullable = <F extends Column | Computed>(field: F): Nullable<F> => ({ nullable: field });

function decode(field: Field, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (is(field, Column)) return field.mapFromDriverValue(value);
  if (typeof field === 'function') return field(value);
  return decode(field.nullable, value);
}

export async function rowsOf<S extends RowShape>(ex: Executor, query: SQL, shape: S): Promise<RowOf<S>[]> {
  const fields = Object.entries(shape);
  const rows = await queryRows<Record<string, unknown>>(ex, query);
  return rows.map((row) => {
    const decoded: Record<string, unknown> = {};
    for (const [name, field] of fields) decoded[name] = decode(field, row[name]);
    return decoded as RowOf<S>;
  });
}
