/**
 * The investigation API (issue #7): timeline, full screenshots, cases and
 * evidence bundles, the audit log, and the operator self-view. Register it
 * on the root app after the dashboard (whose route guard checks every
 * route's `config.authz`), with registerAuditTrail for the automatic
 * entries of sign-ins and administrative changes.
 */
import type { Ed25519Signer } from '@seatwatch/shared';
import type { FastifyInstance } from 'fastify';
import type { BlobStore } from '../../../blobs/blob-store.js';
import type { Db } from '../../../db/connect.js';
import { auditRoutes } from './audit.routes.js';
import { caseRoutes } from './cases.routes.js';
import { selfViewRoutes } from './self-view.routes.js';
import { timelineRoutes } from './timeline.routes.js';

export interface InvestigationDeps {
  db: Db;
  blobs: BlobStore;
  /** The server key: signs evidence bundles. */
  signer: Ed25519Signer;
  now: () => number;
  /** The URL people open the dashboard at (self-view links), else the request's own origin. */
  publicUrl: string | undefined;
}

export async function investigationRoutes(app: FastifyInstance, deps: InvestigationDeps): Promise<void> {
  await app.register(timelineRoutes, deps);
  await app.register(caseRoutes, deps);
  await app.register(auditRoutes, deps);
  await app.register(selfViewRoutes, deps);
}
