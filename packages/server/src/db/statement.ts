/**
 * A statement given as PostgreSQL text with numbered parameters ($1, $2...)
 * rather than built with drizzle's sql template, for a statement whose
 * parameters are whole arrays (drizzle's template spreads a JavaScript array
 * into one parameter per element).
 */
import type { Executor } from './connect.js';

export interface Statement {
  /**
   * A named statement is parsed and planned once per PostgreSQL connection,
   * then only bound and executed: pg prepares it by this name the first time
   * a connection runs it. Its text must never change within a process (pg
   * refuses a second text under a name it prepared). PGlite has no named
   * statements (drizzle's PGlite driver ignores the name), so there it is
   * parsed and planned at every run, like any other query.
   */
  readonly name: string;
  readonly text: string;
}

/** Runs the statement through the executor's own session (so inside its transaction, when it is one). */
export async function executeStatement<T>(
  ex: Executor,
  statement: Statement,
  values: readonly unknown[],
): Promise<T[]> {
  const prepared = ex._.session.prepareQuery(
    { sql: statement.text, params: [...values] },
    undefined,
    statement.name,
    false,
  );
  const result = (await prepared.execute()) as { rows: T[] };
  return result.rows;
}
