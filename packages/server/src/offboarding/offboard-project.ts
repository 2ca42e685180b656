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
import { eq, sql } from 'drizzle-orm';
import type { AuditEntry } from '../audit/audit-chain.js';
import { projectAuditPage, recordAudit } from '../audit/audit-log.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { projectHolds } from '../cases/legal-hold.js';
import { type Db, queryRows } from '../db/connect.js';
import { projects } from '../db/schema/index.js';
import { auditEntries } from '../evidence/audit-entries.js';
import { verifyBundle } from '../evidence/bundle-verify.js';
import { writeBundle } from '../evidence/bundle-writer.js';
import { dataEntries, projectSelection, selectedScreenshots } from '../evidence/export-tables.js';
import { unreferencedBlobs } from '../retention/retention.repository.js';

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

/** Tables counted in the report (the project row's cascade removes them and the rest). */
const COUNTED = [
  'events',
  'activity_spans',
  'device_events',
  'screenshots',
  'logins',
  'anomalies',
  'agents',
  'seats',
  'teams',
  'sites',
  'enrollment_tokens',
  'allowlist_entries',
  'cases',
  'case_items',
  'user_grants',
] as const;
/** The big tables go first in batches, so no single statement holds millions of row locks. */
const BATCHED = ['events', 'activity_spans', 'device_events', 'screenshots', 'logins', 'anomalies'] as const;
const BATCH = 5000;

async function refuseIfHeld(db: Db, projectId: string): Promise<void> {
  const holds = await projectHolds(db, projectId);
  if (holds.cases + holds.seats + holds.rows > 0) {
    throw new SeatwatchError(
      'conflict',
      `legal hold stands (${holds.cases} held case(s), ${holds.seats} held seat(s)${holds.rows ? ', held rows' : ''}); release it first`,
    );
  }
}

async function allProjectAudit(db: Db, projectId: string): Promise<AuditEntry[]> {
  const all: AuditEntry[] = [];
  for (;;) {
    const page = await projectAuditPage(db, projectId, all.at(-1)?.seq ?? 0, 5000);
    all.push(...page);
    if (page.length < 5000) return all;
  }
}

export async function offboardProject(
  deps: OffboardingDeps,
  input: { projectId: string; outFile: string; actor: string; reason: string | null },
): Promise<OffboardingReport> {
  const { db } = deps;
  const [project] = await db.select().from(projects).where(eq(projects.id, input.projectId));
  if (!project) throw new SeatwatchError('not_found', 'no such project');
  await refuseIfHeld(db, project.id);

  // No new data while the export runs: the project's agents are revoked (their sockets are refused at the next hello).
  await db.execute(sql`update agents set status = 'revoked', revoked_at = now(), revoked_by = ${input.actor}
                       where project_id = ${project.id} and status = 'active'`);
  const at = deps.now();
  await recordAudit(
    db,
    { actor: input.actor, action: 'project.offboard_export', projectId: project.id, reason: input.reason },
    at,
  );

  const selection = projectSelection(project.id);
  const screenshots = await selectedScreenshots(db, selection);
  const audit = await allProjectAudit(db, project.id);
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
      entries: [...dataEntries(db, deps.blobs, selection, screenshots, counts), ...auditEntries(audit)],
    });
    // Nothing is deleted unless the bundle on disk verifies with this server's key.
    const check = await verifyBundle(temporary, deps.signer.publicKey);
    if (!check.ok) throw new Error(`the written bundle does not verify: ${check.problems.join('; ')}`);
    await rename(temporary, input.outFile);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }

  await refuseIfHeld(db, project.id);
  const deleted: Record<string, number> = {};
  for (const table of COUNTED) {
    const [row] = await queryRows<{ n: string | number }>(
      db,
      sql`select count(*) as n from ${sql.raw(table)} where project_id = ${project.id}`,
    );
    deleted[table] = Number(row?.n ?? 0);
  }

  const hashes = new Set<string>();
  for (const row of await queryRows<{ sha256: string; thumb_sha256: string | null }>(
    db,
    sql`select sha256, thumb_sha256 from screenshots where project_id = ${project.id}`,
  )) {
    hashes.add(row.sha256);
    if (row.thumb_sha256) hashes.add(row.thumb_sha256);
  }
  for (const table of BATCHED) {
    for (;;) {
      const rows = await queryRows<{ id: unknown }>(
        db,
        sql`delete from ${sql.raw(table)} where id in (
              select id from ${sql.raw(table)} where project_id = ${project.id} limit ${BATCH}) returning id`,
      );
      if (rows.length < BATCH) break;
    }
  }
  await db.delete(projects).where(eq(projects.id, project.id));
  let blobsDeleted = 0;
  for (const sha256 of await unreferencedBlobs(db, [...hashes])) {
    await deps.blobs.delete(sha256);
    blobsDeleted++;
  }

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
