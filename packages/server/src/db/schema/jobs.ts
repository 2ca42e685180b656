/**
 * Periodic jobs that must run once across every server process sharing the
 * database, not once per process (issue #15): the last start of each, which
 * a process claims before it runs the job (jobs/job-runs.repository.ts).
 */
import { pgTable, text } from 'drizzle-orm/pg-core';
import { timestampColumn } from './columns.js';

export const jobRuns = pgTable('job_runs', {
  /** The job's name, e.g. `retention`. */
  job: text('job').primaryKey(),
  /** When the last run was claimed, by the database's clock (one clock for every process). */
  startedAt: timestampColumn('started_at').notNull(),
});
