/**
 * What a bundle holds from the database: for each kind of row, a JSON file
 * (the faithful copy: an array of objects as PostgreSQL renders the row)
 * and a CSV file (for spreadsheets), both streamed in pages by id, plus
 * the screenshot files themselves. A scope says which rows: a case's
 * items and time ranges, or a whole project (export.repository.ts).
 *
 * CSV: RFC 4180 quoting; a cell that starts with = + - @ gets a leading '
 * so a spreadsheet shows a window title instead of running it as a formula
 * (the JSON file keeps the exact text).
 */
import type { BlobStore } from '../blobs/blob-store.js';
import type { Executor } from '../db/connect.js';
import type { BundleEntry } from './bundle-writer.js';
import {
  type ExportScope,
  type ExportTable,
  exportColumns,
  exportRows,
  exportScreenshots,
} from './export.repository.js';

export type { CaseScope, ExportScope, ExportTable } from './export.repository.js';

/** The order of the tables' files in a bundle. */
const EXPORT_TABLES: readonly ExportTable[] = [
  'activity_spans',
  'events',
  'device_events',
  'screenshots',
  'logins',
  'anomalies',
  'agents',
  'signed_frames',
];

export function csvCell(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

async function* jsonArray(rows: AsyncIterable<Record<string, unknown>>, counted: (n: number) => void) {
  let n = 0;
  yield '[';
  for await (const row of rows) {
    yield `${n === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
    n++;
  }
  yield n === 0 ? ']\n' : '\n]\n';
  counted(n);
}

async function* csvRows(table: ExportTable, rows: AsyncIterable<Record<string, unknown>>) {
  const columns = exportColumns(table);
  yield csvLine(columns);
  for await (const row of rows) yield csvLine(columns.map((column) => row[column]));
}

export interface ScreenshotFile {
  id: string;
  sha256: string;
  mime: string;
  time: Date;
  path: string;
}

/** The screenshots in scope, each with its file's path in the bundle. */
export async function selectedScreenshots(ex: Executor, scope: ExportScope): Promise<ScreenshotFile[]> {
  const rows = await exportScreenshots(ex, scope);
  return rows.map((row) => {
    const extension = row.mime === 'image/webp' ? 'webp' : row.mime === 'image/png' ? 'png' : 'jpg';
    const stamp = row.time.toISOString().replaceAll(':', '-');
    return {
      id: String(row.id),
      sha256: row.sha256,
      mime: row.mime,
      time: row.time,
      path: `screenshots/${stamp}_${row.id}.${extension}`,
    };
  });
}

/**
 * Entries for every table (JSON and CSV) and every screenshot file.
 * `counts` fills in as the JSON files stream (the manifest is written last).
 */
export function dataEntries(
  ex: Executor,
  blobs: BlobStore,
  scope: ExportScope,
  screenshots: readonly ScreenshotFile[],
  counts: Record<string, number>,
): BundleEntry[] {
  const entries: BundleEntry[] = [];
  for (const table of EXPORT_TABLES) {
    entries.push({
      path: `data/${table}.json`,
      content: () =>
        jsonArray(exportRows(ex, table, scope), (n) => {
          counts[table] = n;
        }),
    });
    entries.push({
      path: `data/${table}.csv`,
      content: () => csvRows(table, exportRows(ex, table, scope)),
    });
  }
  counts.screenshotFiles = screenshots.length;
  for (const shot of screenshots) {
    entries.push({
      path: shot.path,
      content: async () => {
        const bytes = await blobs.get(shot.sha256);
        if (!bytes) throw new Error(`screenshot ${shot.id}: its bytes are not in the blob store`);
        return bytes;
      },
    });
  }
  return entries;
}
