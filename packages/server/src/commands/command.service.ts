/**
 * Commands to agents. A request becomes an agent_commands row, then a
 * notification; the process that holds the agent's socket (this one or
 * another on the same PostgreSQL) claims the row and sends it. An agent
 * that is offline gets its pending commands after its next welcome.
 */
import { SeatwatchError } from '@seatwatch/shared';
import { type AgentRow, findAgent, listAgents, revokeAgent } from '../agents/agents.repository.js';
import type { Db } from '../db/connect.js';
import type { NotificationPort } from '../notifications/notification-port.js';
import { seatPolicy } from '../tenancy/tenancy.repository.js';
import { type AgentCommandRow, insertCommand } from './commands.repository.js';

/** Commands an administrator may request; `revoke` goes through revoke() instead. */
export const REQUESTABLE_COMMANDS = ['capture_now', 'policy'] as const;
export type RequestableCommand = (typeof REQUESTABLE_COMMANDS)[number];

export interface CommandService {
  /** Queues a command for one agent; `policy` is filled with the agent's current policy and notice. */
  request(input: {
    projectId: string;
    agentId: string;
    cmd: RequestableCommand;
    requestedBy: string;
  }): Promise<AgentCommandRow>;
  /** Sends every active agent of the project its current policy (after a policy change). */
  pushPolicy(projectId: string, requestedBy: string): Promise<number>;
  /** Revokes the agent: no more hellos; a connected agent gets a `revoke` command and is closed with 4410. */
  revoke(input: { projectId: string; agentId: string; requestedBy: string }): Promise<AgentRow>;
}

export function createCommandService(deps: {
  db: Db;
  notifications: NotificationPort;
  now: () => number;
}): CommandService {
  const argsFor = async (agent: AgentRow, cmd: RequestableCommand): Promise<Record<string, unknown>> => {
    if (cmd !== 'policy') return {};
    const { policy, notice } = await seatPolicy(deps.db, agent.projectId, agent.seatId);
    return { policy, notice };
  };

  const queue = async (agent: AgentRow, cmd: string, args: Record<string, unknown>, requestedBy: string) => {
    const row = await insertCommand(deps.db, {
      projectId: agent.projectId,
      agentId: agent.id,
      cmd,
      args,
      requestedBy,
    });
    await deps.notifications.publish({ topic: 'agent.command', agentId: agent.id });
    return row;
  };

  return {
    async request({ projectId, agentId, cmd, requestedBy }) {
      const agent = await findAgent(deps.db, projectId, agentId);
      if (!agent) throw new SeatwatchError('not_found', 'no such agent in this project');
      if (agent.status !== 'active') throw new SeatwatchError('conflict', 'the agent is revoked');
      return queue(agent, cmd, await argsFor(agent, cmd), requestedBy);
    },

    async pushPolicy(projectId, requestedBy) {
      const active = (await listAgents(deps.db, projectId)).filter((agent) => agent.status === 'active');
      for (const agent of active) await queue(agent, 'policy', await argsFor(agent, 'policy'), requestedBy);
      return active.length;
    },

    async revoke({ projectId, agentId, requestedBy }) {
      const agent = await deps.db.transaction(async (tx) => {
        const existing = await findAgent(tx, projectId, agentId);
        if (!existing) throw new SeatwatchError('not_found', 'no such agent in this project');
        const revoked = await revokeAgent(tx, projectId, agentId, requestedBy, new Date(deps.now()));
        if (existing.status === 'active') {
          await insertCommand(tx, { projectId, agentId, cmd: 'revoke', args: {}, requestedBy });
        }
        return revoked!;
      });
      await deps.notifications.publish({ topic: 'agent.revoked', agentId });
      await deps.notifications.publish({
        topic: 'seat.changed',
        projectId,
        seatId: agent.seatId,
        agentId,
        reason: 'revoked',
      });
      return agent;
    },
  };
}
