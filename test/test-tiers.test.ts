/**
 * Keeps the test tiers of vitest.config.ts honest: every test file in the
 * repository runs in exactly one project, the naming convention for new
 * tests picks the tier it promises, and a unit test uses nothing that
 * starts a database, an X server or a browser (so `pnpm test:unit` runs on
 * a machine with none of them).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVitest, type TestProject, type Vitest } from 'vitest/node';

const ROOT = resolve(import.meta.dirname, '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'test-artifacts', 'results']);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIP_DIRS.has(entry.name) ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(ROOT, path)] : [];
  });
}

let vitest: Vitest;
let projects: TestProject[];
// The same include/exclude matching `vitest run` uses, from the real config.
const projectsOf = (file: string) =>
  projects.filter((project) => project.matchesTestGlob(join(ROOT, file))).map((project) => project.name);

beforeAll(async () => {
  vitest = await createVitest(
    'test',
    { config: join(ROOT, 'vitest.config.ts'), watch: false, reporters: [] },
    {},
    {},
  );
  projects = vitest.projects;
});
afterAll(async () => {
  await vitest?.close();
});

describe('test tiers', () => {
  it('has the five projects', () => {
    expect(projects.map((project) => project.name).sort()).toEqual([
      'browser',
      'db',
      'desktop',
      'packaging',
      'unit',
    ]);
  });

  it('runs every test file in exactly one project', () => {
    const files = testFiles(ROOT);
    expect(files.length).toBeGreaterThan(80);
    const wrong = files
      .map((file) => ({ file, projects: projectsOf(file) }))
      .filter((entry) => entry.projects.length !== 1);
    // An empty list means: add the file's folder to a tier in vitest.config.ts, or name it *.<tier>.test.ts.
    expect(wrong).toEqual([]);
  });

  it.each([
    ['packages/shared/test/new.test.ts', 'unit'],
    ['packages/shared/test/new.db.test.ts', 'db'],
    ['packages/agent/test/core/new.desktop.test.ts', 'desktop'],
    ['packages/server/test/domain/new.browser.test.ts', 'browser'],
    ['packages/server/test/domain/new.test.ts', 'unit'],
    ['packages/server/test/gateway/new.test.ts', 'db'],
    ['test/agent-server/new.e2e.test.ts', 'desktop'],
    ['test/new-area/new.db.test.ts', 'db'],
    ['test/packaging/new.e2e.test.ts', 'packaging'],
    ['bench/test/new.browser.test.ts', 'browser'],
  ])('puts a new %s in %s', (file, tier) => {
    expect(projectsOf(file)).toEqual([tier]);
  });
});

/**
 * The test support that starts a service, all in @seatwatch/testkit. A unit
 * file may load a barrel that re-exports one of these (the testkit's
 * `./server` entry) as long as it imports nothing from it that comes from
 * here: the walk follows a re-export only for the names imported through it.
 */
const STARTS_A_SERVICE = new Set([
  'packages/testkit/src/server/test-database.ts',
  'packages/testkit/src/server/migrated-image.ts',
  'packages/testkit/src/server/test-server.ts',
  'packages/testkit/src/server/server-process.ts',
  'packages/testkit/src/desktop/x11-session.ts',
  'packages/testkit/src/desktop/seat-desktop.ts',
  'packages/testkit/src/browser/chromium.ts',
]);
const TESTKIT = '@seatwatch/testkit';
/**
 * Clients of a service, forbidden in a unit test file itself. Code under
 * test may import them for functions the test does not call (bench/load's
 * row comparison sits beside the pg query that feeds it).
 */
const SERVICE_CLIENTS = new Set(['pg', '@electric-sql/pglite', 'playwright-core']);

interface Import {
  specifier: string;
  /** The names imported, or null for the whole module (side effects, `* as`, default). */
  names: string[] | null;
  reexport: boolean;
}

// Static imports and re-exports; `import type` is erased and loads nothing, dynamic import() is on demand.
// A clause holds no `;` or quote, so a match never runs on into the next statement.
const STATIC_IMPORT =
  /^(import)\s+(?!type\s)([^;'"]*?)\s*from\s*'([^']+)'|^(export)\s+(\{[^;'"}]*\}|\*[^;'"]*?)\s*from\s*'([^']+)'|^import\s+'([^']+)'/gm;

function importsOf(source: string): Import[] {
  return [...source.matchAll(STATIC_IMPORT)].map((match) => {
    if (match[7]) return { specifier: match[7], names: null, reexport: false };
    const reexport = match[4] === 'export';
    const clause = (reexport ? match[5] : match[2]) ?? '';
    const named = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const names = named
      ? (named[1] ?? '')
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '' && !part.startsWith('type '))
          .map((part) => part.split(/\s+as\s+/)[0] ?? part)
      : null;
    return { specifier: (reexport ? match[6] : match[3]) ?? '', names, reexport };
  });
}

/** `@seatwatch/testkit` or one of its subpaths, to the file its package.json `exports` names. */
function resolveTestkit(specifier: string): string | null {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'packages/testkit/package.json'), 'utf8'));
  const entry = manifest.exports[`.${specifier.slice(TESTKIT.length)}`]?.['seatwatch-source'];
  return entry ? join('packages/testkit', entry) : null;
}

function resolveFile(from: string, specifier: string): string | null {
  const base = resolve(dirname(join(ROOT, from)), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(ROOT, candidate);
  }
  return null;
}

/** The chain of files from `file` to something that starts a service, or null. */
function serviceChain(file: string, names: string[] | null, seen = new Set<string>()): string[] | null {
  const isTestFile = seen.size === 0; // the first call is on the test file itself
  const key = `${file}:${names?.join(',') ?? '*'}`;
  if (seen.has(key)) return null;
  seen.add(key);
  for (const dependency of importsOf(readFileSync(join(ROOT, file), 'utf8'))) {
    // A re-export counts only if it passes on a name the importer asked for.
    if (dependency.reexport && names !== null && dependency.names !== null) {
      if (!dependency.names.some((name) => names.includes(name))) continue;
    }
    const { specifier } = dependency;
    const relativeImport = specifier.startsWith('.');
    const testkitImport = specifier === TESTKIT || specifier.startsWith(`${TESTKIT}/`);
    const target = relativeImport
      ? resolveFile(file, specifier)
      : testkitImport
        ? resolveTestkit(specifier)
        : specifier;
    if (target === null) continue;
    if (STARTS_A_SERVICE.has(target) || (isTestFile && SERVICE_CLIENTS.has(target))) return [file, target];
    if (!relativeImport && !testkitImport) continue;
    const rest = serviceChain(target, dependency.names, seen);
    if (rest) return [file, ...rest];
  }
  return null;
}

describe('the unit tier', () => {
  it('imports nothing that starts a database, an X server or a browser', () => {
    const unitFiles = testFiles(ROOT).filter((file) => projectsOf(file).includes('unit'));
    expect(unitFiles.length).toBeGreaterThan(50);
    const offenders = unitFiles.flatMap((file) => {
      const chain = serviceChain(file, null);
      return chain ? [chain.join(' -> ')] : [];
    });
    expect(offenders).toEqual([]);
  });

  // The unit project runs without isolation (vitest.config.ts): what a file changes globally stays for the next.
  it('leaves no global change behind for the next file in its worker', () => {
    const leaky =
      /\bvi\.(mock|doMock|stubEnv|stubGlobal|useFakeTimers)\(|process\.env\.\w+\s*=[^=]|process\.chdir\(/;
    const unitFiles = testFiles(ROOT).filter((file) => projectsOf(file).includes('unit'));
    const offenders = unitFiles.filter((file) => leaky.test(readFileSync(join(ROOT, file), 'utf8')));
    // Pass a clock or an environment in instead; or give the file a tier that isolates it.
    expect(offenders).toEqual([]);
  });

  it('would notice a unit file that starts PostgreSQL through the testkit', () => {
    expect(serviceChain('packages/server/test/admin/admin-api.test.ts', null)).not.toBeNull();
    expect(serviceChain('packages/agent/test/collectors/x11.test.ts', null)).not.toBeNull();
  });
});
