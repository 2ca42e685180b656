/** Enrollment tokens, stored only as their SHA-256. */
import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { enrollmentTokens } from '../db/schema/index.js';

export type EnrollmentTokenRow = typeof enrollmentTokens.$inferSelect;

export async function insertEnrollmentToken(
  ex: Executor,
  input: {
    projectId: string;
    siteId: string | null;
    label: string;
    tokenHash: string;
    expiresAt: Date;
    maxUses: number;
  },
): Promise<EnrollmentTokenRow> {
  const [row] = await ex.insert(enrollmentTokens).values(input).returning();
  return row!;
}

export async function findEnrollmentTokenByHash(
  ex: Executor,
  tokenHash: string,
): Promise<EnrollmentTokenRow | null> {
  const [row] = await ex.select().from(enrollmentTokens).where(eq(enrollmentTokens.tokenHash, tokenHash));
  return row ?? null;
}

/**
 * Takes one use of the token if it is still usable at `now`. The check and
 * the increment are one statement, so two enrollments racing for the last
 * use cannot both win.
 */
export async function consumeEnrollmentToken(ex: Executor, id: string, now: Date): Promise<boolean> {
  const rows = await ex
    .update(enrollmentTokens)
    .set({ uses: sql`${enrollmentTokens.uses} + 1`, lastUsedAt: now })
    .where(
      and(
        eq(enrollmentTokens.id, id),
        isNull(enrollmentTokens.revokedAt),
        gt(enrollmentTokens.expiresAt, now),
        lt(enrollmentTokens.uses, enrollmentTokens.maxUses),
      ),
    )
    .returning({ id: enrollmentTokens.id });
  return rows.length === 1;
}

export function listEnrollmentTokens(ex: Executor, projectId: string): Promise<EnrollmentTokenRow[]> {
  return ex
    .select()
    .from(enrollmentTokens)
    .where(eq(enrollmentTokens.projectId, projectId))
    .orderBy(desc(enrollmentTokens.createdAt));
}

export async function revokeEnrollmentToken(
  ex: Executor,
  projectId: string,
  id: string,
  now: Date,
): Promise<EnrollmentTokenRow | null> {
  const [row] = await ex
    .update(enrollmentTokens)
    .set({ revokedAt: sql`coalesce(${enrollmentTokens.revokedAt}, ${now.toISOString()}::timestamptz)` })
    .where(and(eq(enrollmentTokens.projectId, projectId), eq(enrollmentTokens.id, id)))
    .returning();
  return row ?? null;
}
