-- The OS account an agent's next frame starts with, kept on its row by the ingest statement (issue #15, the
-- connect storm on a large database). A hello read it from the agent's latest event, a query without a time
-- bound: it probed the index of every daily partition of events (about 70 on a 60-day database) and was planned
-- again at every hello. The rows already stored give the value to start with.
ALTER TABLE "agents" ADD COLUMN "latest_os_user" text;
--> statement-breakpoint
UPDATE "agents" a SET "latest_os_user" = (
  SELECT e."os_user" FROM "events" e WHERE e."agent_id" = a."id" ORDER BY e."seq" DESC, e."idx" DESC LIMIT 1
);
