/**
 * Cases, their notes, items and legal hold, and their evidence bundles:
 * investigators of the project. Reading a case is a look like any other
 * and goes through the access records (folded per reader, case and minute
 * with a count); every change, and every export, is an audit entry of its
 * own: an export is evidence leaving the system, and its bundle carries
 * the entry of its own export, which a folded count could not give it.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Ed25519Signer, ErrorBody, SeatwatchError } from '@seatwatch/shared';
import {
  AddCaseItemRequest,
  AddCaseNoteRequest,
  AssigneeOption,
  CaseDetail,
  CaseExportRequest,
  CaseStatus,
  CaseSummary,
  CreateCaseRequest,
  LegalHoldRequest,
  UpdateCaseRequest,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AccessRecorder } from '../access-records/access-recorder.js';
import { type AuditInput, recordAudit } from '../audit/audit-log.js';
import { requestActor } from '../audit/request-actor.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Db, Executor } from '../db/connect.js';
import { can, scopeOf } from '../domain/authz-policy.js';
import {
  addItem,
  addNote,
  assigneeOptions,
  type CaseRow,
  caseDetail,
  caseSeatIds,
  createCase,
  listCases,
  removeItem,
  requireCase,
  setLegalHold,
  updateCase,
} from './case.service.js';
import { writeCaseBundle } from './case-bundle.js';
import {
  HOLD_PLACE,
  HOLD_RELEASE,
  HOLD_RELEASE_REQUEST,
  pendingHoldRelease,
  samePerson,
} from './legal-hold.js';

const tags = ['investigation cases'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const CaseParams = Type.Object({ caseId: Type.String({ minLength: 1, maxLength: 128 }) });
const ItemParams = Type.Object({
  caseId: Type.String({ minLength: 1, maxLength: 128 }),
  itemId: Type.String({ minLength: 1, maxLength: 128 }),
});
const ProjectParams = Type.Object({ projectId: Type.String({ minLength: 1, maxLength: 128 }) });
const ListQuery = Type.Object(
  {
    projectId: Type.Optional(Type.String({ maxLength: 128 })),
    status: Type.Optional(CaseStatus),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);
const manage = { authz: { action: 'case.manage' as const } };
const RemoveItemQuery = Type.Object(
  {
    reason: Type.Optional(
      Type.String({ minLength: 5, maxLength: 2000, description: 'Required while the case is on legal hold' }),
    ),
  },
  { additionalProperties: false },
);

export interface CaseRouteDeps {
  db: Db;
  blobs: BlobStore;
  /** The server key: signs evidence bundles. */
  signer: Ed25519Signer;
  now: () => number;
  /** A hold was placed, released or changed what it covers: the held seats are read again (cases/held-seats.ts). */
  legalHoldChanged: () => Promise<void>;
  /** Where case reads are recorded, folded like every other read (access-records/). */
  access: Pick<AccessRecorder, 'read'>;
}

export async function caseRoutes(base: FastifyInstance, deps: CaseRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const { db } = deps;

  const mayWork = (request: FastifyRequest, projectId: string) => {
    if (!can(request.principal, 'case.manage', { kind: 'project', projectId })) {
      throw new SeatwatchError('forbidden', 'cases of this project are not yours to work');
    }
  };
  const loadCase = async (request: FastifyRequest, caseId: string, ex: Executor = db): Promise<CaseRow> => {
    const row = await requireCase(ex, caseId);
    mayWork(request, row.projectId);
    return row;
  };
  const audit = (ex: Executor, request: FastifyRequest, caseRow: CaseRow, input: Omit<AuditInput, 'actor'>) =>
    recordAudit(
      ex,
      {
        ...requestActor(request),
        projectId: caseRow.projectId,
        caseId: caseRow.id,
        target: { kind: 'case', id: caseRow.id },
        ...input,
      },
      deps.now(),
    );
  const actorName = (request: FastifyRequest) => requestActor(request).actor;

  app.get(
    '/api/v1/investigation/cases',
    {
      config: manage,
      schema: { tags, querystring: ListQuery, response: { 200: Type.Array(CaseSummary), ...errors } },
    },
    async (request) => {
      const scope = scopeOf(request.principal, 'case.manage');
      const { projectId, status, limit = 100 } = request.query;
      let projectIds: string[] | null = scope.all ? null : [...scope.projects.keys()];
      if (projectId) {
        mayWork(request, projectId);
        projectIds = [projectId];
      }
      return listCases(db, { projectIds, status, limit });
    },
  );

  app.get(
    '/api/v1/investigation/projects/:projectId/assignees',
    {
      config: manage,
      schema: { tags, params: ProjectParams, response: { 200: Type.Array(AssigneeOption), ...errors } },
    },
    async (request) => {
      mayWork(request, request.params.projectId);
      return assigneeOptions(db, request.params.projectId);
    },
  );

  app.post(
    '/api/v1/investigation/cases',
    { config: manage, schema: { tags, body: CreateCaseRequest, response: { 201: CaseDetail, ...errors } } },
    async (request, reply) => {
      mayWork(request, request.body.projectId);
      const detail = await db.transaction(async (tx) => {
        const row = await createCase(tx, { ...request.body, actor: actorName(request), now: deps.now() });
        await audit(tx, request, row, {
          action: 'case.create',
          details: { title: row.title, fromAnomalyId: row.openedFromAnomalyId, assigneeId: row.assigneeId },
        });
        return caseDetail(tx, row);
      });
      return reply.status(201).send(detail);
    },
  );

  app.get(
    '/api/v1/investigation/cases/:caseId',
    { config: manage, schema: { tags, params: CaseParams, response: { 200: CaseDetail, ...errors } } },
    async (request) => {
      const row = await loadCase(request, request.params.caseId);
      // Recorded before the answer leaves; a reader's repeats of one case within a minute only count up.
      await deps.access.read({
        who: requestActor(request),
        action: 'case.read',
        route: 'GET /api/v1/investigation/cases/:caseId',
        projectId: row.projectId,
        seatId: null,
        accounts: null,
        subject: `case:${row.id}`,
        caseId: row.id,
        target: { kind: 'case', id: row.id },
      });
      return caseDetail(db, row);
    },
  );

  app.patch(
    '/api/v1/investigation/cases/:caseId',
    {
      config: manage,
      schema: { tags, params: CaseParams, body: UpdateCaseRequest, response: { 200: CaseDetail, ...errors } },
    },
    async (request) =>
      db.transaction(async (tx) => {
        const current = await loadCase(request, request.params.caseId, tx);
        const row = await updateCase(tx, current, request.body, deps.now());
        await audit(tx, request, row, { action: 'case.update', details: { changes: request.body } });
        return caseDetail(tx, row);
      }),
  );

  app.post(
    '/api/v1/investigation/cases/:caseId/notes',
    {
      config: manage,
      schema: {
        tags,
        params: CaseParams,
        body: AddCaseNoteRequest,
        response: { 201: CaseDetail, ...errors },
      },
    },
    async (request, reply) => {
      const detail = await db.transaction(async (tx) => {
        const row = await loadCase(request, request.params.caseId, tx);
        const note = await addNote(tx, row, actorName(request), request.body.body, deps.now());
        await audit(tx, request, row, { action: 'case.note', details: { noteId: note.id } });
        return caseDetail(tx, row);
      });
      return reply.status(201).send(detail);
    },
  );

  app.post(
    '/api/v1/investigation/cases/:caseId/items',
    {
      config: manage,
      schema: {
        tags,
        params: CaseParams,
        body: AddCaseItemRequest,
        response: { 201: CaseDetail, ...errors },
      },
    },
    async (request, reply) => {
      const detail = await db.transaction(async (tx) => {
        const row = await loadCase(request, request.params.caseId, tx);
        const item = await addItem(tx, row, request.body, actorName(request), deps.now());
        await audit(tx, request, row, {
          action: 'case.item_add',
          seatId: item.seatId,
          details: {
            itemId: item.id,
            kind: item.kind,
            refId: item.refId,
            from: request.body.from ?? null,
            to: request.body.to ?? null,
          },
        });
        return caseDetail(tx, row);
      });
      if (detail.case.legalHold) await deps.legalHoldChanged();
      return reply.status(201).send(detail);
    },
  );

  app.delete(
    '/api/v1/investigation/cases/:caseId/items/:itemId',
    {
      config: manage,
      schema: {
        tags,
        params: ItemParams,
        querystring: RemoveItemQuery,
        response: { 200: CaseDetail, ...errors },
      },
    },
    async (request) => {
      const detail = await db.transaction(async (tx) => {
        const row = await loadCase(request, request.params.caseId, tx);
        const reason = request.query.reason ?? null;
        // Taking an item out of a held case can free its rows for retention: not without a stated reason.
        if (row.legalHold && reason === null) {
          throw new SeatwatchError(
            'bad_request',
            'the case is on legal hold: removing an item needs ?reason=',
          );
        }
        const item = await removeItem(tx, row, request.params.itemId, deps.now());
        await audit(tx, request, row, {
          action: 'case.item_remove',
          seatId: item.seatId,
          reason,
          details: { itemId: item.id, kind: item.kind, refId: item.refId, heldCase: row.legalHold },
        });
        return caseDetail(tx, row);
      });
      if (detail.case.legalHold) await deps.legalHoldChanged();
      return detail;
    },
  );

  app.post(
    '/api/v1/investigation/cases/:caseId/legal-hold',
    {
      config: manage,
      schema: {
        tags,
        description:
          'Places a hold, or releases one with four eyes: the first call asks (202, the case stays held), ' +
          'a second investigator of the project approves within a week (200).',
        params: CaseParams,
        body: LegalHoldRequest,
        response: { 200: CaseDetail, 202: CaseDetail, ...errors },
      },
    },
    async (request, reply) => {
      const detail = await db.transaction(async (tx) => {
        const current = await loadCase(request, request.params.caseId, tx);
        const who = requestActor(request);
        const now = deps.now();
        if (!request.body.hold && current.legalHold) {
          const pending = await pendingHoldRelease(tx, current.id, now);
          if (!pending) {
            await audit(tx, request, current, { action: HOLD_RELEASE_REQUEST, reason: request.body.reason });
            reply.status(202);
            return caseDetail(tx, current);
          }
          if (samePerson(pending, who)) {
            throw new SeatwatchError(
              'conflict',
              'you asked for this release: a second investigator of the project must approve it',
            );
          }
          const row = await setLegalHold(tx, current, false, who.actor, now);
          await audit(tx, request, row, {
            action: HOLD_RELEASE,
            reason: request.body.reason,
            details: {
              requestedBy: pending.actor,
              requestedById: pending.actorId,
              requestedAt: pending.at,
              requestReason: pending.reason,
              requestSeq: pending.seq,
              approvedBy: who.actor,
              approvedById: who.actorId,
            },
          });
          return caseDetail(tx, row);
        }
        const row = await setLegalHold(tx, current, request.body.hold, actorName(request), now);
        await audit(tx, request, row, {
          action: request.body.hold ? HOLD_PLACE : HOLD_RELEASE,
          reason: request.body.reason,
        });
        return caseDetail(tx, row);
      });
      // Committed: from now on the gateway keeps (or stops keeping) the seats' frames verbatim.
      await deps.legalHoldChanged();
      return detail;
    },
  );

  app.post(
    '/api/v1/investigation/cases/:caseId/export',
    { config: manage, schema: { tags, params: CaseParams, body: CaseExportRequest, response: errors } },
    async (request, reply) => {
      const row = await loadCase(request, request.params.caseId);
      const at = deps.now();
      const reason = request.body.reason ?? null;
      // Recorded before the bundle is made, so the bundle carries the entry of its own export.
      await db.transaction(async (tx) => {
        await audit(tx, request, row, { action: 'case.export', reason });
        for (const seatId of await caseSeatIds(tx, row.id)) {
          await audit(tx, request, row, { action: 'case.export', seatId, reason });
        }
      });
      const name = `case-${row.id}-${new Date(at).toISOString().slice(0, 10)}.zip`;
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="${name}"`,
        'cache-control': 'no-store',
      });
      try {
        await writeCaseBundle(
          reply.raw,
          { ex: db, blobs: deps.blobs, signer: deps.signer },
          {
            caseRow: row,
            exportedBy: requestActor(request).actor,
            reason,
            at,
          },
        );
      } catch (error) {
        request.log.error({ err: error, caseId: row.id }, 'evidence export failed');
      }
    },
  );
}
