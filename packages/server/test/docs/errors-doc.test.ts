/** docs/errors.md documents exactly the error catalog: same codes, statuses, close codes and messages. */
import { readFileSync } from 'node:fs';
import { ERROR_CATALOG } from '@seatwatch/shared';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');

function documentedRows(): Record<string, { status: number; close: number; message: string }> {
  const rows: Record<string, { status: number; close: number; message: string }> = {};
  for (const line of doc.split('\n')) {
    const match = /^\| `([a-z_]+)` \| (\d+) \| (\d+) \| ([^|]+) \|/.exec(line);
    if (!match) continue;
    const [, code, status, close, message] = match;
    expect(rows[code!], `${code} is documented twice`).toBeUndefined();
    rows[code!] = { status: Number(status), close: Number(close), message: message!.trim() };
  }
  return rows;
}

describe('docs/errors.md', () => {
  it('has one row per catalogued code, with its HTTP status, close code and message', () => {
    const expected = Object.fromEntries(
      Object.entries(ERROR_CATALOG).map(([code, entry]) => [
        code,
        { status: entry.status, close: entry.close, message: entry.message },
      ]),
    );
    expect(documentedRows()).toEqual(expected);
  });
});
