/**
 * test/ and bench/ use our packages the way anyone else would: by their
 * names and `exports` (@seatwatch/server, @seatwatch/testkit/server, ...),
 * never by a relative path into packages/ and never by a path string that
 * reads a package's src/ or test/ (issue #10). A harness both need belongs
 * in packages/testkit; see test/README.md, "Test support".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', 'results', 'vectors']);
/** Tests of the repository itself, which read its files as data (test file lists, this check). */
const REPOSITORY_CHECKS = new Set(['test/test-tiers.test.ts', 'test/public-entries.test.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) ? [relative(ROOT, path)] : [];
  });
}

/** Comments may name a source file (to say where a format is defined); code may not reach it. */
function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)'([^']+)'/gm;
const PACKAGE_PATH = /['"`][^'"`\n]*packages\/[\w-]+\/(?:src|test)\b[^'"`\n]*['"`]/g;

function reachesIntoPackages(file: string): string[] {
  const code = withoutComments(readFileSync(join(ROOT, file), 'utf8'));
  const relativeIntoPackages = [...code.matchAll(SPECIFIER)]
    .map((match) => match[1]!)
    .filter((specifier) => specifier.startsWith('.'))
    .filter((specifier) =>
      relative(ROOT, resolve(dirname(join(ROOT, file)), specifier)).startsWith('packages/'),
    );
  const pathStrings = [...code.matchAll(PACKAGE_PATH)].map((match) => match[0]);
  return [...relativeIntoPackages, ...pathStrings].map((what) => `${file}: ${what}`);
}

describe('test/ and bench/', () => {
  it('import packages by their public names only', () => {
    const files = [...sourceFiles(join(ROOT, 'test')), ...sourceFiles(join(ROOT, 'bench'))].filter(
      (file) => !REPOSITORY_CHECKS.has(file),
    );
    expect(files.length).toBeGreaterThan(30);
    // An entry here: import the package by name (add a real export if it lacks one), or use @seatwatch/testkit.
    expect(files.flatMap(reachesIntoPackages)).toEqual([]);
  });

  it('would notice a relative import or a path string into a package', () => {
    const code = [
      // Split, so that a grep for relative imports into packages/ does not list this file itself.
      'import { x } from ' + "'../../packages/server/src/x.js';",
      "const MAIN = new URL('../../packages/agent/src/main.ts', import.meta.url);",
    ].join('\n');
    expect([...code.matchAll(SPECIFIER)].map((match) => match[1])).toEqual([
      '../../packages/server/src/x.js',
    ]);
    expect(withoutComments(code).match(PACKAGE_PATH)).toHaveLength(2);
    expect(withoutComments('// see packages/agent/src/core/backoff.ts').match(PACKAGE_PATH)).toBeNull();
  });
});
