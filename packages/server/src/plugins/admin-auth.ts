/**
 * Who may call /api/v1/admin/**. One function decides, so the dashboard can
 * swap the admin-token check for user login (with roles and project scope)
 * without touching the routes. It resolves to the actor recorded on what
 * the request does, or throws `unauthorized` / `forbidden`.
 */
import { timingSafeEqual } from 'node:crypto';
import { SeatwatchError } from '@seatwatch/shared';
import type { FastifyRequest } from 'fastify';
import { sha256 } from '../secrets/secret-files.js';

export interface AdminActor {
  /** Recorded as requested_by / revoked_by. */
  actor: string;
  /** Projects this actor may manage; null means all (the admin token). Listing projects shows only these. */
  projectIds: readonly string[] | null;
}

export type AdminAuthorizer = (request: FastifyRequest) => Promise<AdminActor>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on /api/v1/admin/** requests once the authorizer accepted them. */
    admin: AdminActor | null;
  }
}

/** `Authorization: Bearer <admin token>`, compared as SHA-256 digests in constant time. */
export function adminTokenAuthorizer(tokenHash: Buffer): AdminAuthorizer {
  return async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([\x21-\x7e]+)$/.exec(header) : null;
    if (!match || !timingSafeEqual(sha256(match[1]!), tokenHash)) {
      throw new SeatwatchError('unauthorized', 'send the admin token as "Authorization: Bearer <token>"');
    }
    return { actor: 'admin-token', projectIds: null };
  };
}
