-- The collector processes alive on this database, and which one holds each agent's session (issue #15):
-- a process killed outright stops beating, and a live one marks the agents it held disconnected.
CREATE TABLE IF NOT EXISTS "collector_processes" (
	"id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN IF NOT EXISTS "collector_id" text;
