/**
 * Who may call /api/v1/admin/**. One function decides, so the routes never
 * check anything themselves. The dashboard's route guard provides it
 * (accounts/route-guard.ts: a signed-in user with the role and project scope,
 * or the admin token for the CLI and automation). It resolves to the actor
 * recorded on what the request does, or throws `unauthorized` / `forbidden`.
 */
import type { FastifyRequest } from 'fastify';

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
