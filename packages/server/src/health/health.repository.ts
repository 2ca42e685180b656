/** The readiness probe's one query. */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';

/** Resolves when the database answers a trivial statement; rejects when it cannot be reached. */
export async function pingDatabase(ex: Executor): Promise<void> {
  await ex.execute(sql`select 1`);
}
