/** Agents: enrollment, connection bookkeeping, revocation (the hello's own statements: agent-gateway/hello.repository.ts). */
import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { agents } from '../db/schema/index.js';

export type AgentRow = typeof agents.$inferSelect;
export type NewAgent = typeof agents.$inferInsert;

export async function insertAgent(ex: Executor, row: NewAgent): Promise<AgentRow> {
  const [inserted] = await ex.insert(agents).values(row).returning();
  return inserted!;
}

export async function findAgentByPublicKey(ex: Executor, publicKey: string): Promise<AgentRow | null> {
  const [row] = await ex.select().from(agents).where(eq(agents.publicKey, publicKey));
  return row ?? null;
}

/** Which session the agent row names as current (null when none is open); null when there is no such agent. */
export async function findAgentSession(
  ex: Executor,
  agentId: string,
): Promise<Pick<AgentRow, 'session'> | null> {
  const [row] = await ex.select({ session: agents.session }).from(agents).where(eq(agents.id, agentId));
  return row ?? null;
}

export async function findAgent(ex: Executor, projectId: string, agentId: string): Promise<AgentRow | null> {
  const [row] = await ex
    .select()
    .from(agents)
    .where(and(eq(agents.projectId, projectId), eq(agents.id, agentId)));
  return row ?? null;
}

export function listAgents(ex: Executor, projectId: string): Promise<AgentRow[]> {
  return ex.select().from(agents).where(eq(agents.projectId, projectId)).orderBy(asc(agents.enrolledAt));
}

/** Clears the session only if it is still this connection's (a newer one may have replaced it). */
export async function markAgentDisconnected(
  ex: Executor,
  agentId: string,
  session: string,
  at: Date,
): Promise<void> {
  await ex
    .update(agents)
    .set({ session: null, disconnectedAt: at })
    .where(and(eq(agents.id, agentId), eq(agents.session, session)));
}

/** Marks every open session as ended (only safe when no other server process shares the database). */
export async function clearAgentSessions(ex: Executor, at: Date): Promise<void> {
  await ex.update(agents).set({ session: null, disconnectedAt: at }).where(isNotNull(agents.session));
}

export async function revokeAgent(
  ex: Executor,
  projectId: string,
  agentId: string,
  by: string,
  at: Date,
): Promise<AgentRow | null> {
  const [row] = await ex
    .update(agents)
    .set({
      status: 'revoked',
      revokedAt: sql`coalesce(${agents.revokedAt}, ${at.toISOString()}::timestamptz)`,
      revokedBy: sql`coalesce(${agents.revokedBy}, ${by})`,
    })
    .where(and(eq(agents.projectId, projectId), eq(agents.id, agentId)))
    .returning();
  return row ?? null;
}
