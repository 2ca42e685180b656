/**
 * Project offboarding, when a client's contract ends: export everything of
 * the project into a signed evidence bundle (the same format as a case
 * export), check the written file, then purge the project's rows and the
 * screenshot bytes no other project shares, and report what went.
 * Refused while any legal hold stands (a held case, a held seat, a held
 * row). The audit log keeps its entries: they name the project by id only,
 * and this run adds its own two (export, purge).
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Ed25519Signer, SeatwatchError } from '@seatwatch/shared';
import { projectAuditEntries, recordAudit } from '../audit/audit-log.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { refuseWhileProjectHeld } from '../cases/legal-hold.js';
import type { Db } from '../db/connect.js';
import { auditEntries } from '../evidence/audit-entries.js';
import { verifyBundle } from '../evidence/bundle-verify.js';
import { writeBundle } from '../evidence/bundle-writer.js';
import { dataEntries, type ExportScope, selectedScreenshots } from '../evidence/export-tables.js';
import { deleteUnreferencedBlobs } from '../retention/retention-job.js';
import {
  deleteProject,
  findProject,
  projectRowCounts,
  projectScreenshotHashes,
  revokeProjectAgents,
} from './offboarding.repository.js';

// The CLI looks the project up to confirm its name before it offboards it.
export { findProject } from './offboarding.repository.js';

export interface OffboardingDeps {
  db: Db;
  blobs: BlobStore;
  signer: Ed25519Signer;
  now: () => number;
}

export interface OffboardingReport {
  projectId: string;
  projectName: string;
  bundle: { path: string; bytes: number; manifestSha256: string; files: number };
  /** Rows deleted, per table. */
  deleted: Record<string, number>;
  /** Screenshot and thumbnail files removed from the blob store. */
  blobsDeleted: number;
}

export async function offboardProject(
  deps: OffboardingDeps,
  input: { projectId: string; outFile: string; actor: string; reason: string | null },
): Promise<OffboardingReport> {
  const { db } = deps;
  const project = await findProject(db, input.projectId);
  if (!project) throw new SeatwatchError('not_found', 'no such project');
  await refuseWhileProjectHeld(db, project.id);

  // No new data while the export runs.
  await revokeProjectAgents(db, project.id, input.actor);
  const at = deps.now();
  await recordAudit(
    db,
    { actor: input.actor, action: 'project.offboard_export', projectId: project.id, reason: input.reason },
    at,
  );

  const scope: ExportScope = { projectId: project.id };
  const screenshots = await selectedScreenshots(db, scope);
  const audit = await projectAuditEntries(db, project.id);
  const counts: Record<string, number> = { auditEntries: audit.length };
  const temporary = join(dirname(input.outFile), `.${randomBytes(6).toString('hex')}.offboarding.tmp`);
  let written: Awaited<ReturnType<typeof writeBundle>>;
  try {
    written = await writeBundle(createWriteStream(temporary, { mode: 0o600 }), {
      signer: deps.signer,
      head: {
        kind: 'project',
        exportedAtMs: at,
        exportedBy: input.actor,
        reason: input.reason,
        subject: {
          project: { id: project.id, name: project.name, createdAt: project.createdAt.toISOString() },
        },
        counts,
      },
      entries: [...dataEntries(db, deps.blobs, scope, screenshots, counts), ...auditEntries(audit)],
    });
    // Nothing is deleted unless the bundle on disk verifies with this server's key.
    const check = await verifyBundle(temporary, deps.signer.publicKey);
    if (!check.ok) throw new Error(`the written bundle does not verify: ${check.problems.join('; ')}`);
    await rename(temporary, input.outFile);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }

  await refuseWhileProjectHeld(db, project.id);
  const deleted = await projectRowCounts(db, project.id);
  const hashes = await projectScreenshotHashes(db, project.id);
  await deleteProject(db, project.id);
  const blobsDeleted = await deleteUnreferencedBlobs(db, deps.blobs, hashes);

  const report: OffboardingReport = {
    projectId: project.id,
    projectName: project.name,
    bundle: {
      path: input.outFile,
      bytes: written.bytes,
      manifestSha256: written.manifestSha256,
      files: written.manifest.files.length,
    },
    deleted,
    blobsDeleted,
  };
  await recordAudit(
    db,
    {
      actor: input.actor,
      action: 'project.offboard_purge',
      projectId: project.id,
      reason: input.reason,
      details: { ...report, bundle: { ...report.bundle } },
    },
    deps.now(),
  );
  return report;
}
