/** Projects, their policy and notice, sites, teams and seats. */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { SeatwatchError } from '@seatwatch/shared';
import {
  CreateProject,
  CreateSeat,
  CreateSite,
  CreateTeam,
  ProjectPolicy,
  PutPolicy,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { recordAudit } from '../audit/audit-log.js';
import { requestActor } from '../audit/request-actor.js';
import {
  pendingSeatHoldRelease,
  SEAT_HOLD_PLACE,
  SEAT_HOLD_RELEASE,
  SEAT_HOLD_RELEASE_REQUEST,
  samePerson,
} from '../cases/legal-hold.js';
import {
  createSeat,
  createSite,
  createTeam,
  effectivePolicy,
  findProject,
  findTeam,
  listProjects,
  listSeats,
  listSites,
  listTeams,
  lockSeat,
  setSeatLegalHold,
} from '../tenancy/tenancy.repository.js';
import { type AdminRouteDeps, actorOf, requireSite } from './admin-route-deps.js';
import { LegalHold, Project, ProjectParams, Seat, Site, Team } from './admin-schemas.js';

const tags = ['projects'];

export async function projectRoutes(base: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;
  const policyService = deps.policies;

  app.get('/projects', { schema: { tags, response: { 200: Type.Array(Project) } } }, async (request) => {
    const scope = request.admin?.projectIds ?? null;
    const projects = await listProjects(db);
    return scope === null ? projects : projects.filter((project) => scope.includes(project.id));
  });

  app.post(
    '/projects',
    { schema: { tags, body: CreateProject, response: { 201: Project } } },
    async (request, reply) => {
      const { name, retentionDays, noticeText } = request.body;
      const project = await policyService.createProject(
        { name, retentionDays, noticeText },
        requestActor(request),
      );
      return reply.status(201).send(project);
    },
  );

  app.get(
    '/projects/:projectId',
    { schema: { tags, params: ProjectParams, response: { 200: Project } } },
    async (request) => (await findProject(db, request.params.projectId))!,
  );

  app.get(
    '/projects/:projectId/policy',
    {
      schema: {
        tags,
        params: ProjectParams,
        querystring: Type.Object({ siteId: Type.Optional(Type.String()) }),
        response: { 200: ProjectPolicy },
      },
    },
    async (request) => {
      const siteId = await requireSite(db, request.params.projectId, request.query.siteId);
      return { siteId, ...(await effectivePolicy(db, request.params.projectId, siteId)) };
    },
  );

  app.put(
    '/projects/:projectId/policy',
    { schema: { tags, params: ProjectParams, body: PutPolicy, response: { 200: ProjectPolicy } } },
    async (request) => {
      const { projectId } = request.params;
      const siteId = await requireSite(db, projectId, request.body.siteId);
      const result = await policyService.putPolicy(
        { projectId, siteId, policy: request.body.policy, noticeText: request.body.noticeText },
        requestActor(request),
      );
      if (request.body.push) await deps.commands.pushPolicy(projectId, actorOf(request));
      return { siteId, ...result };
    },
  );

  app.get(
    '/projects/:projectId/sites',
    { schema: { tags, params: ProjectParams, response: { 200: Type.Array(Site) } } },
    (request) => listSites(db, request.params.projectId),
  );

  app.post(
    '/projects/:projectId/sites',
    { schema: { tags, params: ProjectParams, body: CreateSite, response: { 201: Site } } },
    async (request, reply) =>
      reply.status(201).send(await createSite(db, request.params.projectId, request.body.name)),
  );

  app.get(
    '/projects/:projectId/teams',
    { schema: { tags, params: ProjectParams, response: { 200: Type.Array(Team) } } },
    (request) => listTeams(db, request.params.projectId),
  );

  app.post(
    '/projects/:projectId/teams',
    { schema: { tags, params: ProjectParams, body: CreateTeam, response: { 201: Team } } },
    async (request, reply) => {
      const { projectId } = request.params;
      const siteId = await requireSite(db, projectId, request.body.siteId);
      return reply.status(201).send(await createTeam(db, { projectId, siteId, name: request.body.name }));
    },
  );

  app.get(
    '/projects/:projectId/seats',
    { schema: { tags, params: ProjectParams, response: { 200: Type.Array(Seat) } } },
    (request) => listSeats(db, request.params.projectId),
  );

  app.post(
    '/projects/:projectId/seats',
    { schema: { tags, params: ProjectParams, body: CreateSeat, response: { 201: Seat } } },
    async (request, reply) => {
      const { projectId } = request.params;
      const siteId = await requireSite(db, projectId, request.body.siteId);
      const teamId = request.body.teamId ?? null;
      if (teamId && !(await findTeam(db, projectId, teamId))) {
        throw new SeatwatchError('not_found', 'no such team in this project');
      }
      return reply
        .status(201)
        .send(await createSeat(db, { projectId, siteId, teamId, name: request.body.name }));
    },
  );

  app.put(
    '/projects/:projectId/seats/:seatId/legal-hold',
    {
      // seat.hold_place, seat.hold_release_request and seat.hold_release are the record: no admin.change beside them.
      config: { auditsItself: true },
      schema: {
        tags,
        description:
          'Places a hold on the whole seat, or releases one with four eyes: the first release call asks ' +
          '(202, the seat stays held; seat.hold_release_request in the audit log), a second administrator ' +
          'of the project approves within a week (200; seat.hold_release names both). The one who asked ' +
          'cannot approve (409 conflict). Releasing a seat that is not held changes nothing (200).',
        params: Type.Object({ ...ProjectParams.properties, seatId: Type.String() }),
        body: LegalHold,
        response: { 200: Seat, 202: Seat },
      },
    },
    async (request, reply) => {
      const { projectId, seatId } = request.params;
      const { hold, reason } = request.body;
      const seat = await db.transaction(async (tx) => {
        // Locked: two release calls at once are taken one after the other, so the second sees the first's request.
        const current = await lockSeat(tx, projectId, seatId);
        if (!current) throw new SeatwatchError('not_found', 'no such seat in this project');
        if (!hold && !current.legalHold) return current;
        const who = requestActor(request);
        const now = deps.now();
        const audit = (action: string, details?: Record<string, unknown>) =>
          recordAudit(
            tx,
            { ...who, action, projectId, seatId, target: { kind: 'seat', id: seatId }, reason, details },
            now,
          );
        if (hold) {
          await audit(SEAT_HOLD_PLACE);
          return (await setSeatLegalHold(tx, projectId, seatId, true))!;
        }
        const pending = await pendingSeatHoldRelease(tx, seatId, now);
        if (!pending) {
          await audit(SEAT_HOLD_RELEASE_REQUEST);
          reply.status(202);
          return current;
        }
        if (samePerson(pending, who)) {
          throw new SeatwatchError(
            'conflict',
            'you asked for this release: a second administrator of the project must approve it',
          );
        }
        await audit(SEAT_HOLD_RELEASE, {
          requestedBy: pending.actor,
          requestedById: pending.actorId,
          requestedAt: pending.at,
          requestReason: pending.reason,
          requestSeq: pending.seq,
          approvedBy: who.actor,
          approvedById: who.actorId,
        });
        return (await setSeatLegalHold(tx, projectId, seatId, false))!;
      });
      // Committed: from now on the gateway keeps (or stops keeping) the seat's frames verbatim.
      await deps.legalHoldChanged();
      return seat;
    },
  );
}
