/** Login records: every hello and enrollment attempt, allowed or refused. */
import { and, desc, eq } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { logins } from '../db/schema/index.js';

export type LoginRow = typeof logins.$inferSelect;
export type NewLogin = Omit<typeof logins.$inferInsert, 'id'>;
/** What was attempted: a hello on the gateway or an enrollment. */
export type LoginKind = LoginRow['kind'];

export async function insertLogin(ex: Executor, row: NewLogin): Promise<LoginRow> {
  const [inserted] = await ex.insert(logins).values(row).returning();
  return inserted!;
}

export function listLogins(
  ex: Executor,
  filter: { projectId: string; agentId?: string | undefined; limit: number },
): Promise<LoginRow[]> {
  return ex
    .select()
    .from(logins)
    .where(
      filter.agentId
        ? and(eq(logins.projectId, filter.projectId), eq(logins.agentId, filter.agentId))
        : eq(logins.projectId, filter.projectId),
    )
    .orderBy(desc(logins.at), desc(logins.id))
    .limit(filter.limit);
}
