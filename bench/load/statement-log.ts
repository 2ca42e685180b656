/**
 * Diagnostics (--log-statements, PostgreSQL only): the bench database logs
 * every statement (parameters left out), and the bench counts what the
 * server sent while agents were connecting and during the hold, grouped by
 * statement text. Shows the round trips behind one hello and one group
 * commit. Logging every statement costs PostgreSQL time: use it on a small
 * run, not for the headline numbers.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type pg from 'pg';

export const POSTGRES_LOG = '/var/log/postgresql/postgresql-15-main.log';

export async function enableStatementLog(client: pg.Client, database: string): Promise<void> {
  // Identifiers cannot be parameters; the name is ours (seatwatch_bench_<hex>).
  await client.query(`alter database ${database} set log_statement = 'all'`);
  await client.query(`alter database ${database} set log_parameter_max_length = 0`);
}

export function logOffset(file = POSTGRES_LOG): number {
  return statSync(file).size;
}

function readRange(file: string, from: number, to: number): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(Math.max(0, to - from));
    readSync(fd, buffer, 0, buffer.length, from);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export interface StatementCount {
  statement: string;
  count: number;
}

/** Statements of `database` logged between two offsets, by their first 80 characters. */
export function countStatements(
  database: string,
  from: number,
  to: number,
  file = POSTGRES_LOG,
): StatementCount[] {
  const counts = new Map<string, number>();
  const marker = `@${database} LOG:  `;
  const lines = readRange(file, from, to).split('\n');
  lines.forEach((line, i) => {
    const at = line.indexOf(marker);
    if (at < 0) return;
    const match = /^(?:statement|execute [^:]*): (.*)$/.exec(line.slice(at + marker.length));
    if (!match) return;
    // A statement that starts with a line break continues on the following (unprefixed) lines.
    let text = match[1]!.trim();
    for (
      let next = i + 1;
      text === '' && next < lines.length && !/^\d{4}-\d\d-\d\d /.test(lines[next]!);
      next++
    ) {
      text = lines[next]!.trim();
    }
    const key = text.replace(/\s+/g, ' ').slice(0, 80);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return [...counts].map(([statement, count]) => ({ statement, count })).sort((a, b) => b.count - a.count);
}
