/** IP allowlist entries per project and site. */
import { and, asc, eq } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { allowlistEntries } from '../db/schema/index.js';

export type AllowlistEntryRow = typeof allowlistEntries.$inferSelect;

export function listAllowlist(ex: Executor, projectId: string): Promise<AllowlistEntryRow[]> {
  return ex
    .select()
    .from(allowlistEntries)
    .where(eq(allowlistEntries.projectId, projectId))
    .orderBy(asc(allowlistEntries.createdAt));
}

/** Adds a normalised CIDR; adding one that is already there returns the existing entry. */
export async function addAllowlistEntry(
  ex: Executor,
  input: { projectId: string; siteId: string | null; cidr: string; note: string },
): Promise<AllowlistEntryRow> {
  await ex
    .insert(allowlistEntries)
    .values(input)
    .onConflictDoNothing({
      target: [allowlistEntries.projectId, allowlistEntries.siteId, allowlistEntries.cidr],
    });
  const rows = await listAllowlist(ex, input.projectId);
  return rows.find((row) => row.siteId === input.siteId && row.cidr === input.cidr)!;
}

export async function removeAllowlistEntry(ex: Executor, projectId: string, id: string): Promise<boolean> {
  const rows = await ex
    .delete(allowlistEntries)
    .where(and(eq(allowlistEntries.projectId, projectId), eq(allowlistEntries.id, id)))
    .returning({ id: allowlistEntries.id });
  return rows.length === 1;
}
