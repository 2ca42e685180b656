/**
 * The evidence bundle of a case: the case (items, notes), every row its
 * items name or its time ranges cover, the screenshots, and the case's
 * audit entries, including the entry of this very export.
 */
import type { Writable } from 'node:stream';
import type { Ed25519Signer } from '@seatwatch/shared';
import { caseAuditEntries } from '../audit/audit-log.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { Executor } from '../db/connect.js';
import { auditEntries } from '../evidence/audit-entries.js';
import { type WrittenBundle, writeBundle } from '../evidence/bundle-writer.js';
import {
  type CaseScope,
  dataEntries,
  type ExportScope,
  type ExportTable,
  selectedScreenshots,
} from '../evidence/export-tables.js';
import { type CaseRow, caseDetail } from './case.service.js';
import { caseItemRows } from './cases.repository.js';

const ITEM_TABLE: Readonly<Record<string, ExportTable>> = {
  event: 'events',
  activity_span: 'activity_spans',
  device_event: 'device_events',
  screenshot: 'screenshots',
  login: 'logins',
  anomaly: 'anomalies',
};

export async function writeCaseBundle(
  out: Writable,
  deps: { ex: Executor; blobs: BlobStore; signer: Ed25519Signer },
  input: { caseRow: CaseRow; exportedBy: string; reason: string | null; at: number },
): Promise<WrittenBundle> {
  const { ex } = deps;
  const detail = await caseDetail(ex, input.caseRow);
  const items = await caseItemRows(ex, input.caseRow.id);
  const refs: Partial<Record<ExportTable, string[]>> = {};
  const ranges: CaseScope['ranges'][number][] = [];
  for (const item of items) {
    if (item.kind === 'time_range') {
      if (item.seatId && item.rangeFrom && item.rangeTo)
        ranges.push({ seatId: item.seatId, from: item.rangeFrom, to: item.rangeTo });
    } else if (item.refId) {
      const table = ITEM_TABLE[item.kind]!;
      refs[table] = [...(refs[table] ?? []), item.refId];
    }
  }
  const scope: ExportScope = { projectId: input.caseRow.projectId, case: { refs, ranges } };
  const screenshots = await selectedScreenshots(ex, scope);
  const audit = await caseAuditEntries(ex, input.caseRow.id);
  const counts: Record<string, number> = {
    items: items.length,
    notes: detail.notes.length,
    auditEntries: audit.length,
  };
  return writeBundle(out, {
    signer: deps.signer,
    head: {
      kind: 'case',
      exportedAtMs: input.at,
      exportedBy: input.exportedBy,
      reason: input.reason,
      subject: { projectId: input.caseRow.projectId, case: detail.case, items: detail.items },
      counts,
    },
    entries: [
      { path: 'case.json', content: () => `${JSON.stringify(detail, null, 2)}\n` },
      ...dataEntries(ex, deps.blobs, scope, screenshots, counts),
      ...auditEntries(audit),
    ],
  });
}
