/**
 * Lists of values for `x in (...)`: one parameter each, so the planner
 * sees the values and walks the index on x. (A set-returning function in
 * their place made PostgreSQL guess 100 rows and scan whole tables.) Never
 * call with an empty list: `in ()` is not SQL; callers refuse or skip first.
 */
import { type SQL, sql } from 'drizzle-orm';

export function valueList(values: readonly string[]): SQL {
  return sql`(${sql.join(
    values.map((value) => sql`${value}`),
    sql`, `,
  )})`;
}

/** The same for bigint ids that travel as strings. */
export function bigintList(values: readonly string[]): SQL {
  return sql`(${sql.join(
    values.map((value) => sql`${value}::bigint`),
    sql`, `,
  )})`;
}
