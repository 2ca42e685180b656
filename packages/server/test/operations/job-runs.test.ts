/**
 * The claim that makes a periodic job (retention) run once across the server
 * processes on one database, not once per process (issue #15): of the
 * processes whose timers fire in the same turn, one claims the run and the
 * others find it taken; once the gap has passed, the next claim succeeds.
 * (The three-process test in test/scale-out/ shows the schedule using it.)
 */
import { createTestDatabase, DB_KINDS, type TestDatabase } from '@seatwatch/testkit/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimJobRun } from '../../src/jobs/job-runs.repository.js';

describe.each(DB_KINDS)('claiming a periodic job’s run on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
  });
  afterAll(() => db?.close());

  it('gives a turn to one claimant only, until the gap has passed', async () => {
    const { db: ex } = db.database;
    const hour = 3_600_000;
    // Several processes at once: exactly one wins.
    const claims = await Promise.all([1, 2, 3, 4].map(() => claimJobRun(ex, 'nightly', hour)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await claimJobRun(ex, 'nightly', hour)).toBe(false);
    // Another job has turns of its own.
    expect(await claimJobRun(ex, 'weekly', hour)).toBe(true);
    // A gap of nothing has passed already: the next claim takes the turn and moves the start on.
    expect(await claimJobRun(ex, 'nightly', 0)).toBe(true);
    expect(await claimJobRun(ex, 'nightly', hour)).toBe(false);
  });
});
