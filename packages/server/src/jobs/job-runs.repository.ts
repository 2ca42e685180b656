/**
 * The claim a process makes before it runs a periodic job that must run
 * once across every process on the database (issue #15): one statement
 * that moves the job's last start to now only when that start is at least
 * `minGapMs` old. Whoever's statement moves it runs the job; a process
 * whose timer fires a moment later in the same turn finds the start fresh
 * and skips. The database's clock decides, so processes on machines whose
 * clocks disagree still agree.
 */
import { sql } from 'drizzle-orm';
import type { Executor } from '../db/connect.js';
import { jobRuns } from '../db/schema/index.js';

export async function claimJobRun(ex: Executor, job: string, minGapMs: number): Promise<boolean> {
  const claimed = await ex
    .insert(jobRuns)
    .values({ job, startedAt: sql`now()` })
    .onConflictDoUpdate({
      target: jobRuns.job,
      set: { startedAt: sql`excluded.started_at` },
      setWhere: sql`${jobRuns.startedAt} <= excluded.started_at - make_interval(secs => ${minGapMs / 1000}::float8)`,
    })
    .returning({ job: jobRuns.job });
  return claimed.length === 1;
}
