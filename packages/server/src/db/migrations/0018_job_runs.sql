-- Periodic jobs run once across the server processes sharing this database, not once per process
-- (issue #15): each process's timer claims the job's next run here; the one whose claim moves
-- started_at runs it, the others skip that turn.
CREATE TABLE IF NOT EXISTS "job_runs" (
	"job" text PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL
);
