import { describe, expect, it } from 'vitest';
import { parseLoadOptions } from '../load/load-options.js';

describe('load bench options', () => {
  it('runs on a fresh database unless --database-url names an existing one', () => {
    expect(parseLoadOptions(['--agents', '10']).databaseUrl).toBeNull();
    const url = 'postgres://postgres@127.0.0.1:5432/seatwatch_test_kept';
    expect(parseLoadOptions(['--', '--database-url', url]).databaseUrl).toBe(url);
  });

  it('refuses --database-url without PostgreSQL, or with the statement log (a setting it would leave behind)', () => {
    const url = 'postgres://postgres@127.0.0.1:5432/kept';
    expect(() => parseLoadOptions(['--database-url', url, '--db', 'pglite'])).toThrow(
      '--database-url needs --db postgres',
    );
    expect(() => parseLoadOptions(['--database-url', url, '--log-statements'])).toThrow(
      '--log-statements makes its own database',
    );
  });

  it('names every bad value at once', () => {
    expect(() => parseLoadOptions(['--agents', '0', '--minutes', 'x'])).toThrow(
      /--agents must be a number from 1 to 60000[\s\S]*--minutes must be a number/,
    );
  });
});
