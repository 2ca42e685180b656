/** Keeps docs/threat-model.md honest: every test it names as the answer to a threat exists. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const doc = readFileSync(new URL('docs/threat-model.md', root), 'utf8');
const named = [...new Set([...doc.matchAll(/`([\w./-]+\.test\.ts)`/g)].map((m) => m[1]!))];

describe('docs/threat-model.md', () => {
  it('names tests, and each of them exists', () => {
    expect(named.length).toBeGreaterThan(20);
    const missing = named.filter((path) => !existsSync(new URL(path, root)));
    expect(missing).toEqual([]);
  });
});
