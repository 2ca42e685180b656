/**
 * Seat placement (issue #13): rename a seat, move it or many to another site
 * and team, by a list or a CSV file. The admin authorizer has checked the
 * role and the project scope before these run (administration.plugin.ts).
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  MoveSeats,
  MoveSeatsCsv,
  SEAT_MOVE_CSV_MAX_CHARS,
  UpdateSeat,
} from '@seatwatch/shared/dashboard-api';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { requestActor } from '../audit/request-actor.js';
import type { AdminRouteDeps } from './admin-route-deps.js';
import { ProjectParams, Seat, SeatMoveResult } from './admin-schemas.js';

const tags = ['projects'];
const SeatParams = Type.Object({ projectId: Type.String(), seatId: Type.String() });

export async function seatRoutes(base: FastifyInstance, deps: AdminRouteDeps): Promise<void> {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const placement = deps.seatPlacement;

  app.patch(
    '/projects/:projectId/seats/:seatId',
    { schema: { tags, params: SeatParams, body: UpdateSeat, response: { 200: Seat } } },
    (request) =>
      placement.updateSeat(
        request.params.projectId,
        request.params.seatId,
        request.body,
        requestActor(request),
      ),
  );

  app.post(
    '/projects/:projectId/seats/move',
    { schema: { tags, params: ProjectParams, body: MoveSeats, response: { 200: SeatMoveResult } } },
    (request) => placement.moveSeats(request.params.projectId, request.body, requestActor(request)),
  );

  app.post(
    '/projects/:projectId/seats/move-csv',
    {
      // The CSV travels as a JSON string; its schema bounds its length in characters, this the
      // request in bytes: up to 6 a character (a control character escaped as \uXXXX), plus the rest.
      bodyLimit: 6 * SEAT_MOVE_CSV_MAX_CHARS + 1024,
      schema: { tags, params: ProjectParams, body: MoveSeatsCsv, response: { 200: SeatMoveResult } },
    },
    (request) => placement.moveSeatsCsv(request.params.projectId, request.body.csv, requestActor(request)),
  );
}
