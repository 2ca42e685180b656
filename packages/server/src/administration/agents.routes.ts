/** Agents, their commands and login records. */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { SeatwatchError } from '@seatwatch/shared';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { listLogins } from '../access/logins.repository.js';
import { type AgentRow, findAgent, listAgents } from '../agents/agents.repository.js';
import { listCommands } from '../commands/commands.repository.js';
import { type AdminRouteDeps, actorOf } from './admin-route-deps.js';
import { Agent, Command, Limit, Login, LoginQuery, ProjectParams, RequestCommand } from './admin-schemas.js';

const AgentParams = Type.Object({ ...ProjectParams.properties, agentId: Type.String() });
const tags = ['agents'];

function present(agent: AgentRow) {
  return { ...agent, connected: agent.session !== null };
}

export async function agentRoutes(base: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;

  app.get(
    '/projects/:projectId/agents',
    { schema: { tags, params: ProjectParams, response: { 200: Type.Array(Agent) } } },
    async (request) => (await listAgents(db, request.params.projectId)).map(present),
  );

  app.get(
    '/projects/:projectId/agents/:agentId',
    { schema: { tags, params: AgentParams, response: { 200: Agent } } },
    async (request) => {
      const agent = await findAgent(db, request.params.projectId, request.params.agentId);
      if (!agent) throw new SeatwatchError('not_found', 'no such agent in this project');
      return present(agent);
    },
  );

  app.post(
    '/projects/:projectId/agents/:agentId/revoke',
    {
      schema: {
        tags,
        description:
          'Revokes the agent: refused at every later hello; if connected, it gets a revoke command and 4410.',
        params: AgentParams,
        response: { 200: Agent },
      },
    },
    async (request) =>
      present(
        await deps.commands.revoke({
          projectId: request.params.projectId,
          agentId: request.params.agentId,
          requestedBy: actorOf(request),
        }),
      ),
  );

  app.post(
    '/projects/:projectId/agents/:agentId/commands',
    {
      schema: {
        tags,
        description:
          'Queues a command; the server process holding the agent socket sends it (now, or after the next hello).',
        params: AgentParams,
        body: RequestCommand,
        response: { 202: Command },
      },
    },
    async (request, reply) => {
      const row = await deps.commands.request({
        projectId: request.params.projectId,
        agentId: request.params.agentId,
        cmd: request.body.cmd,
        requestedBy: actorOf(request),
      });
      return reply.status(202).send(row);
    },
  );

  app.get(
    '/projects/:projectId/agents/:agentId/commands',
    { schema: { tags, params: AgentParams, querystring: Limit, response: { 200: Type.Array(Command) } } },
    async (request) => {
      if (!(await findAgent(db, request.params.projectId, request.params.agentId))) {
        throw new SeatwatchError('not_found', 'no such agent in this project');
      }
      return listCommands(db, request.params.agentId, request.query.limit);
    },
  );

  app.get(
    '/projects/:projectId/logins',
    {
      schema: {
        tags,
        description: 'Every hello and enrollment attempt, newest first, allowed or refused with the reason.',
        params: ProjectParams,
        querystring: LoginQuery,
        response: { 200: Type.Array(Login) },
      },
    },
    (request) =>
      listLogins(db, {
        projectId: request.params.projectId,
        agentId: request.query.agentId,
        limit: request.query.limit,
      }),
  );
}
