/** Audit entries as bundle files: audit.json (every field, with the chain hashes) and audit.csv. */
import type { AuditEntry } from '../audit/audit-chain.js';
import type { BundleEntry } from './bundle-writer.js';
import { csvLine } from './export-tables.js';

const COLUMNS: ReadonlyArray<keyof AuditEntry> = [
  'seq',
  'at',
  'actor',
  'actorId',
  'action',
  'outcome',
  'projectId',
  'seatId',
  'caseId',
  'target',
  'reason',
  'ip',
  'details',
  'prevHash',
  'hash',
];

export function auditEntries(entries: readonly AuditEntry[]): BundleEntry[] {
  return [
    { path: 'audit.json', content: () => `${JSON.stringify(entries, null, 2)}\n` },
    {
      path: 'audit.csv',
      content: () =>
        csvLine(COLUMNS) +
        entries
          .map((entry) =>
            csvLine(
              COLUMNS.map((column) => (column === 'at' ? new Date(entry.at).toISOString() : entry[column])),
            ),
          )
          .join(''),
    },
  ];
}
