-- The OS account each stored event came from (issue #14): one enrolled machine is shared by every shift,
-- and the machine service tells whose session an event came from with a `network` event before it in the
-- agent's sequence (docs/protocol.md, "The OS account of an event"). Null for rows stored before this.
ALTER TABLE "events" ADD COLUMN "os_user" text;
--> statement-breakpoint
ALTER TABLE "activity_spans" ADD COLUMN "os_user" text;
--> statement-breakpoint
ALTER TABLE "device_events" ADD COLUMN "os_user" text;
--> statement-breakpoint
ALTER TABLE "screenshots" ADD COLUMN "os_user" text;
--> statement-breakpoint
-- Two sessions of one shared computer may each start a span in the same millisecond: a span is one
-- account's, so the account is part of its key (rows from before this, with none, stay one per start).
ALTER TABLE "activity_spans" DROP CONSTRAINT "activity_spans_agent_start_uq";
--> statement-breakpoint
ALTER TABLE "activity_spans" ADD CONSTRAINT "activity_spans_agent_start_uq" UNIQUE NULLS NOT DISTINCT ("agent_id", "started_at", "os_user");
--> statement-breakpoint
-- The self-view and the timeline filter a seat's rows by account, and a new connection reads the account
-- in force from the agent's latest event (events_agent_seq_idx_uq serves that one).
CREATE INDEX IF NOT EXISTS "events_seat_os_user_time_idx" ON "events" USING btree ("seat_id", "os_user", "time");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "activity_spans_seat_os_user_start_idx" ON "activity_spans" USING btree ("seat_id", "os_user", "started_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "screenshots_seat_os_user_time_idx" ON "screenshots" USING btree ("seat_id", "os_user", "time");
