/**
 * The one place where errors become HTTP answers: a SeatwatchError gives
 * its catalogued status and `{error, message}` body; schema validation
 * failures are `bad_request`; a unique-key clash in the database is
 * `conflict`; anything unexpected is logged and answered `internal`
 * without details.
 */
import { ERROR_CATALOG, type ErrorCode, SeatwatchError } from '@seatwatch/shared';
import type { FastifyError, FastifyInstance } from 'fastify';
import { databaseErrorCode, FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION } from '../db/database-error-code.js';

// Text PostgreSQL cannot store (a NUL character, an unencodable one): the caller's input, not our fault.
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

function body(code: ErrorCode, message?: string) {
  return { error: code, message: message ?? ERROR_CATALOG[code].message };
}

export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | SeatwatchError, request, reply) => {
    if (error instanceof SeatwatchError) return reply.status(error.status).send(error.toBody());
    if ((error as FastifyError).validation) {
      return reply
        .status(400)
        .send(body('bad_request', `${ERROR_CATALOG.bad_request.message}: ${error.message}`));
    }
    const dbCode = databaseErrorCode(error);
    if (dbCode === UNIQUE_VIOLATION)
      return reply.status(409).send(body('conflict', 'That name or value exists already'));
    if (dbCode && UNSTORABLE_TEXT.has(dbCode)) {
      return reply
        .status(400)
        .send(body('bad_request', 'Text with a character that cannot be stored (such as NUL)'));
    }
    if (dbCode === FOREIGN_KEY_VIOLATION)
      return reply.status(404).send(body('not_found', 'A referenced resource does not exist'));
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      const code: ErrorCode = status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : 'bad_request';
      return reply.status(status).send(body(code, error.message));
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send(body('internal'));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });
}
