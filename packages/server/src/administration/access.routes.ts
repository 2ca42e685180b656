/** Enrollment tokens and the IP allowlist. */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { SeatwatchError } from '@seatwatch/shared';
import { AddAllowlistEntry, IssueToken } from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { addAllowlistEntry, listAllowlist, removeAllowlistEntry } from '../access/allowlist.repository.js';
import { normalizeCidr } from '../domain/allowlist.js';
import { hashEnrollmentToken, newEnrollmentToken } from '../enrollment/enrollment-tokens.js';
import {
  insertEnrollmentToken,
  listEnrollmentTokens,
  revokeEnrollmentToken,
} from '../enrollment/enrollment-tokens.repository.js';
import { type AdminRouteDeps, requireSite } from './admin-route-deps.js';
import { AllowlistEntry, EnrollmentToken, IssuedToken, ProjectParams } from './admin-schemas.js';

const HOUR_MS = 3_600_000;

export async function accessRoutes(base: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;

  app.get(
    '/projects/:projectId/tokens',
    {
      schema: { tags: ['enrollment'], params: ProjectParams, response: { 200: Type.Array(EnrollmentToken) } },
    },
    (request) => listEnrollmentTokens(db, request.params.projectId),
  );

  app.post(
    '/projects/:projectId/tokens',
    {
      schema: {
        tags: ['enrollment'],
        description:
          'Issues an enrollment token. The token is in this answer only; the server keeps its hash.',
        params: ProjectParams,
        body: IssueToken,
        response: { 201: IssuedToken },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      const siteId = await requireSite(db, projectId, request.body.siteId);
      const token = newEnrollmentToken();
      const row = await insertEnrollmentToken(db, {
        projectId,
        siteId,
        label: request.body.label,
        tokenHash: hashEnrollmentToken(token),
        expiresAt: new Date(deps.now() + request.body.expiresInHours * HOUR_MS),
        maxUses: request.body.maxUses,
      });
      return reply.status(201).send({ ...row, token });
    },
  );

  app.post(
    '/projects/:projectId/tokens/:tokenId/revoke',
    {
      schema: {
        tags: ['enrollment'],
        params: Type.Object({ ...ProjectParams.properties, tokenId: Type.String() }),
        response: { 200: EnrollmentToken },
      },
    },
    async (request) => {
      const row = await revokeEnrollmentToken(
        db,
        request.params.projectId,
        request.params.tokenId,
        new Date(deps.now()),
      );
      if (!row) throw new SeatwatchError('not_found', 'no such token in this project');
      return row;
    },
  );

  app.get(
    '/projects/:projectId/allowlist',
    { schema: { tags: ['allowlist'], params: ProjectParams, response: { 200: Type.Array(AllowlistEntry) } } },
    (request) => listAllowlist(db, request.params.projectId),
  );

  app.post(
    '/projects/:projectId/allowlist',
    {
      schema: {
        tags: ['allowlist'],
        description:
          'Adds an address or CIDR (stored as its network). A project with no entries is open to any IP.',
        params: ProjectParams,
        body: AddAllowlistEntry,
        response: { 201: AllowlistEntry },
      },
    },
    async (request, reply) => {
      const { projectId } = request.params;
      const cidr = normalizeCidr(request.body.cidr);
      if (!cidr)
        throw new SeatwatchError('bad_request', `"${request.body.cidr}" is not an IP address or CIDR`);
      const siteId = await requireSite(db, projectId, request.body.siteId);
      const entry = await addAllowlistEntry(db, { projectId, siteId, cidr, note: request.body.note });
      return reply.status(201).send(entry);
    },
  );

  app.delete(
    '/projects/:projectId/allowlist/:entryId',
    {
      schema: {
        tags: ['allowlist'],
        params: Type.Object({ ...ProjectParams.properties, entryId: Type.String() }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      if (!(await removeAllowlistEntry(db, request.params.projectId, request.params.entryId))) {
        throw new SeatwatchError('not_found', 'no such allowlist entry in this project');
      }
      return reply.status(204).send(null);
    },
  );
}
