/**
 * Project offboarding, when a client's contract ends: export everything of
 * the project into a signed evidence bundle (the same format as a case
 * export), check the written file, then purge the project's rows and the
 * screenshot bytes no other project shares, and report what went.
 * Refused while any legal hold stands (a held case, a held seat, a held
 * row). The audit log keeps its entries: they name the project by id only,
 * and this run adds its own two (export, purge), naming who ran it.
 *
 * Besides the data, the bundle keeps what the operators were told and
 * agreed to (issue #11): policy-history.json, every version of the
 * project's policies (capture settings, retention, notice text and
 * version, from policy_history), and notice-history.json, the notice
 * versions, each operator's acknowledgements (the agents' notice_ack
 * events) and the version each agent last acknowledged.
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
import type { BundleEntry } from '../evidence/bundle-writer.js';
import { writeBundle } from '../evidence/bundle-writer.js';
import { dataEntries, type ExportScope, selectedScreenshots } from '../evidence/export-tables.js';
import { deleteUnreferencedBlobs } from '../retention/retention-job.js';
import {
  agentNoticeVersions,
  deleteProject,
  findProject,
  noticeAcknowledgements,
  policyHistoryRows,
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

/** policy-history.json and notice-history.json of a project, and how many rows each holds. */
async function policyAndNoticeHistory(
  db: Db,
  projectId: string,
): Promise<{ entries: BundleEntry[]; policyVersions: number; acknowledgements: number }> {
  const policies = await policyHistoryRows(db, projectId);
  const acknowledgements = await noticeAcknowledgements(db, projectId);
  const agents = await agentNoticeVersions(db, projectId);
  // A notice version is what one scope (the project, or a site) showed under that number.
  const versions = new Map<
    string,
    { siteId: string | null; noticeVersion: number; noticeText: string; from: string }
  >();
  for (const row of policies) {
    const key = `${row.siteId ?? ''}/${row.noticeVersion}/${row.noticeText}`;
    if (!versions.has(key)) {
      versions.set(key, {
        siteId: row.siteId,
        noticeVersion: row.noticeVersion,
        noticeText: row.noticeText,
        from: row.recordedAt.toISOString(),
      });
    }
  }
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    policyVersions: policies.length,
    acknowledgements: acknowledgements.length,
    entries: [
      {
        path: 'policy-history.json',
        content: () => json(policies.map((row) => ({ ...row, recordedAt: row.recordedAt.toISOString() }))),
      },
      {
        path: 'notice-history.json',
        content: () =>
          json({
            versions: [...versions.values()],
            acknowledgements: acknowledgements.map((row) => ({
              eventId: row.id,
              agentId: row.agent_id,
              seatId: row.seat_id,
              seatName: row.seat_name,
              osUser: row.os_user,
              noticeVersion: row.notice_version,
              shownVia: row.shown_via,
              at: row.time.toISOString(),
              receivedAt: row.received_at.toISOString(),
            })),
            agents,
          }),
      },
    ],
  };
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
  const history = await policyAndNoticeHistory(db, project.id);
  const counts: Record<string, number> = {
    auditEntries: audit.length,
    policyVersions: history.policyVersions,
    noticeAcknowledgements: history.acknowledgements,
  };
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
      entries: [
        ...dataEntries(db, deps.blobs, scope, screenshots, counts),
        ...history.entries,
        ...auditEntries(audit),
      ],
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
  const blobsDeleted = await deleteUnreferencedBlobs(db, deps.blobs, hashes, deps.now());

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
