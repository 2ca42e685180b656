/**
 * The access records' hooks on the root app (call registerAccessTrail(app,
 * deps) directly on it, like the audit trail): every refused request of
 * every route, and reads of the audit log itself. The other looks at seat
 * data are recorded by the routes that serve them (seats/, investigation/),
 * which know whose data they showed.
 */
import type { FastifyInstance } from 'fastify';
import { requestActor } from '../audit/request-actor.js';
import { isFoldedRefusal } from '../audit/request-audit.js';
import { scopeOf } from '../domain/authz-policy.js';
import type { AccessRecorder } from './access-recorder.js';

const AUDIT_READ_ROUTE = '/api/v1/investigation/audit';

export function registerAccessTrail(app: FastifyInstance, deps: { recorder: AccessRecorder }): void {
  // onSend, like the audit trail: recorded before the caller sees the answer.
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    if (route === undefined) return payload;
    const status = reply.statusCode;
    if (isFoldedRefusal({ method: request.method, route, status })) {
      try {
        await deps.recorder.refusal({
          who: requestActor(request),
          route: `${request.method} ${route}`,
          status,
          params: (request.params ?? {}) as Record<string, unknown>,
        });
      } catch (error) {
        // The refusal stands whether or not it could be counted.
        request.log.error({ err: error, route }, 'could not record a refused request');
      }
      return payload;
    }
    if (route === AUDIT_READ_ROUTE && request.method === 'GET' && status === 200) {
      // Reading the log is a look too; it fails the answer if it cannot be recorded, like every look.
      const query = (request.query ?? {}) as Record<string, unknown>;
      // The project read, so that the project's auditors see the read too: the one asked for, or the
      // reader's only project; a read across projects is installation-wide.
      const scope = scopeOf(request.principal, 'audit.read');
      const only = !scope.all && scope.projects.size === 1 ? [...scope.projects.keys()][0]! : null;
      await deps.recorder.read({
        who: requestActor(request),
        action: 'audit.read',
        route: `GET ${route}`,
        projectId: typeof query.projectId === 'string' ? query.projectId : only,
        seatId: typeof query.seatId === 'string' ? query.seatId : null,
        accounts: null,
        details: { query },
      });
    }
    return payload;
  });
}
