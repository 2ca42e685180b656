/**
 * Commands for agents. A command is a row first; whichever server process
 * holds the agent's socket claims the pending rows and sends them, so a
 * command survives a reconnect to another process.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { agentCommands } from '../db/schema/index.js';

export type AgentCommandRow = typeof agentCommands.$inferSelect;

export async function insertCommand(
  ex: Executor,
  input: {
    projectId: string;
    agentId: string;
    cmd: string;
    args: Record<string, unknown>;
    requestedBy: string;
  },
): Promise<AgentCommandRow> {
  const [row] = await ex.insert(agentCommands).values(input).returning();
  return row!;
}

/** Marks the agent's pending commands as sent and returns them, oldest first; one claimer wins each. */
export async function claimPendingCommands(
  ex: Executor,
  agentId: string,
  at: Date,
): Promise<AgentCommandRow[]> {
  const rows = await ex
    .update(agentCommands)
    .set({ status: 'sent', sentAt: at })
    .where(and(eq(agentCommands.agentId, agentId), eq(agentCommands.status, 'pending')))
    .returning();
  return rows.sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime());
}

/** Puts a claimed command back when its socket closed before it could be sent. */
export async function releaseCommand(ex: Executor, id: string): Promise<void> {
  await ex
    .update(agentCommands)
    .set({ status: 'pending', sentAt: null })
    .where(and(eq(agentCommands.id, id), eq(agentCommands.status, 'sent')));
}

export function listCommands(ex: Executor, agentId: string, limit: number): Promise<AgentCommandRow[]> {
  return ex
    .select()
    .from(agentCommands)
    .where(eq(agentCommands.agentId, agentId))
    .orderBy(desc(agentCommands.requestedAt))
    .limit(limit);
}

export async function findCommand(ex: Executor, id: string): Promise<AgentCommandRow | null> {
  const [row] = await ex.select().from(agentCommands).where(eq(agentCommands.id, id));
  return row ?? null;
}
