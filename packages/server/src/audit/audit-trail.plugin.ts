/**
 * Records sign-ins and administrative changes of every route, whoever
 * wrote the route: one onSend hook on the root app (call
 * registerAuditTrail(app, deps) directly on it, like the route guard).
 * Request bodies are never stored (they hold passwords, tokens and codes):
 * an entry keeps the route, its parameters and, for sign-ins, the user
 * name that was tried.
 *
 * A route that writes its own entry for what it does (the action, its
 * reason and target, in the transaction that does it) says so with
 * `config: { auditsItself: true }`: one action, one entry, not its own and
 * an `admin.change` beside it. Sign-ins are recorded here whatever a route says.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/connect.js';
import { recordAudit } from './audit-log.js';
import { requestActor } from './request-actor.js';
import { classifyRequest } from './request-audit.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route records its own audit entry; the trail writes no `admin.change` for it. */
    auditsItself?: boolean;
  }
}

export interface AuditTrailDeps {
  db: Db;
  now: () => number;
}

function triedUsername(request: FastifyRequest): string | null {
  const body = request.body as { username?: unknown } | undefined;
  return typeof body?.username === 'string' ? body.username.trim().toLowerCase().slice(0, 64) : null;
}

/** What a sign-in answer said about the session (SessionInfo): whose it is and how far it got. */
function sessionOutcome(payload: unknown): { username: string; stage: string } | null {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return null;
  try {
    const body = JSON.parse(payload) as { stage?: unknown; user?: { username?: unknown } | null };
    return typeof body.user?.username === 'string' && typeof body.stage === 'string'
      ? { username: body.user.username, stage: body.stage }
      : null;
  } catch {
    return null;
  }
}

export function registerAuditTrail(app: FastifyInstance, deps: AuditTrailDeps): void {
  // onSend, not onResponse: the entry is written before the caller sees the answer, so whoever
  // acts on a success (or reads the log right after) finds it recorded.
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    if (route === undefined) return payload;
    const decision = classifyRequest({ method: request.method, route, status: reply.statusCode });
    if (!decision) return payload;
    if (decision.kind === 'change' && request.routeOptions.config.auditsItself === true) return payload;
    const who = requestActor(request);
    const params = (request.params ?? {}) as Record<string, unknown>;
    const projectId = typeof params.projectId === 'string' ? params.projectId : null;
    const details: Record<string, unknown> = {
      method: request.method,
      route,
      status: reply.statusCode,
      params,
    };
    let actor = who.actor;
    if (decision.kind === 'sign-in') {
      const session = sessionOutcome(payload);
      const username = session?.username ?? triedUsername(request);
      if (username !== null) details.username = username;
      if (session) details.stage = session.stage;
      if (actor === 'anonymous' && decision.outcome === 'success' && username !== null)
        actor = `user:${username}`;
      details.userAgent = String(request.headers['user-agent'] ?? '').slice(0, 256);
    }
    try {
      await recordAudit(
        deps.db,
        {
          actor,
          actorId: who.actorId,
          action: decision.action,
          outcome: decision.outcome,
          projectId,
          ip: who.ip,
          details,
        },
        deps.now(),
      );
    } catch (error) {
      request.log.error({ err: error, action: decision.action }, 'could not write the audit entry');
    }
    return payload;
  });
}
