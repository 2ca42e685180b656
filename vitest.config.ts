import { defineConfig } from 'vitest/config';

/*
 * Four tiers, one Vitest project each, chosen by what a test file needs to
 * run (test/README.md says how to run each and where a new test goes):
 *
 *   unit     nothing: no database, no X server, no browser
 *   db       PGlite and PostgreSQL on 127.0.0.1:5432
 *   desktop  Xvfb, openbox, xterm, xdotool (and PostgreSQL for the e2e tests)
 *   browser  Chromium (and PostgreSQL, and Xvfb for the dashboard e2e test)
 *   packaging  root, dpkg-deb, debootstrap (a Debian mirror the first time), systemd-nspawn, Xvfb and PostgreSQL
 *
 * A plain *.test.ts takes the tier of its folder as listed below; a file
 * named *.db.test.ts, *.desktop.test.ts or *.browser.test.ts takes that tier
 * wherever it is. test/test-tiers.test.ts fails when a test file is in no
 * project or in more than one, and when a unit file reaches the support that
 * starts a database, an X server or a browser.
 */
const SUFFIX = {
  db: '**/*.db.test.ts',
  desktop: '**/*.desktop.test.ts',
  browser: '**/*.browser.test.ts',
} as const;
const allSuffixesBut = (own?: keyof typeof SUFFIX) =>
  Object.entries(SUFFIX)
    .filter(([tier]) => tier !== own)
    .map(([, glob]) => glob);

/** The server's tests that need no database: pure rules and decisions, files, config, docs. */
const SERVER_UNIT = [
  'packages/server/test/anomalies/rules/**/*.test.ts',
  'packages/server/test/anomalies/alerts/**/*.test.ts',
  'packages/server/test/anomalies/engine/screenshot-blankness.test.ts',
  'packages/server/test/blobs/**/*.test.ts',
  'packages/server/test/config/**/*.test.ts',
  'packages/server/test/dashboard/accounts-crypto.test.ts',
  'packages/server/test/dashboard/authz-policy.test.ts',
  'packages/server/test/docs/**/*.test.ts',
  'packages/server/test/domain/**/*.test.ts',
];
/** The agent's real X11 adapters under Xvfb; every other agent test uses fakes. */
const AGENT_DESKTOP = ['packages/agent/test/collectors/x11.test.ts'];
const E2E_BROWSER = ['test/dashboard/**/*.test.ts', 'test/investigation/investigation-pages.e2e.test.ts'];

const unit = {
  include: [
    'packages/shared/test/**/*.test.ts',
    'packages/agent/test/**/*.test.ts',
    'packages/dashboard/test/**/*.test.ts',
    ...SERVER_UNIT,
    'test/*.test.ts',
    'bench/test/**/*.test.ts',
  ],
  exclude: [...AGENT_DESKTOP, ...allSuffixesBut()],
};
/** A folder glob for the plain files only, so that a *.db.test.ts there still reaches the db tier. */
const plainOnly = (glob: string) => glob.replace(/\*\.test\.ts$/, '!(*.db|*.desktop|*.browser).test.ts');
const db = {
  include: ['packages/server/test/**/*.test.ts', 'test/investigation/**/*.test.ts', SUFFIX.db],
  exclude: [...SERVER_UNIT.map(plainOnly), ...E2E_BROWSER.map(plainOnly), ...allSuffixesBut('db')],
};
const desktop = {
  include: [...AGENT_DESKTOP, 'test/agent-server/**/*.test.ts', SUFFIX.desktop],
  exclude: allSuffixesBut('desktop'),
};
const browser = {
  include: [...E2E_BROWSER, SUFFIX.browser],
  exclude: allSuffixesBut('browser'),
};
/** The agent's installable packages built and installed into a clean Debian root: root, debootstrap, minutes. */
const packaging = {
  include: ['test/packaging/**/*.test.ts'],
  exclude: allSuffixesBut(),
  // Both files install the same packages: built once per run, not once per file.
  globalSetup: ['test/packaging/support/agent-packages.ts'],
};

// Vitest's own default excludes still apply inside each project.
const NEVER = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources in tests (see each package's `exports`).
    conditions: ['seatwatch-source'],
  },
  ssr: { resolve: { conditions: ['seatwatch-source'] } },
  test: {
    pool: 'forks',
    // Three files at a time, from every project at once. Vitest's default on two cores is one
    // (cores - 1), which ran the whole suite file after file; most files spend their time waiting
    // on child processes, PostgreSQL, X, Chromium or a scenario's own clock, not on the CPU.
    // `--maxWorkers` or VITEST_MAX_WORKERS overrides it for a run.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll's own default (1 s) is shorter than a page's first load and query on a CI machine
    // running three files against one PostgreSQL: the self-view test failed so once, its page still
    // loading. A poll that passes returns at once, so the longer limit costs only a failing test.
    expect: { poll: { timeout: 15_000 } },
    // One report for every project that ran: .ci/run reads its totals.
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-results.json' }]],
    // `extends: true`: each project keeps the settings above (pool, timeouts, resolve conditions).
    projects: Object.entries({ unit, db, desktop, browser, packaging }).map(([name, tier]) => ({
      extends: true as const,
      test: {
        name,
        include: tier.include,
        exclude: [...NEVER, ...tier.exclude],
        // Unit files share their worker's modules instead of loading every import afresh per file:
        // that halves the tier's time. test/test-tiers.test.ts keeps them free of what this would
        // leak into the next file (module mocks, stubbed globals and env, fake timers).
        isolate: name !== 'unit',
        ...('globalSetup' in tier ? { globalSetup: tier.globalSetup } : {}),
      },
    })),
  },
});
