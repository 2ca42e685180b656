-- Every look at a seat's data, and every refused request, folded so that nobody can flood the audit log
-- (issue #11). One row per bucket: who, what (action and route), which seat and whose data (OS account),
-- and a minute (or, for the board, a dashboard session). The first request of a bucket writes its audit
-- entry at once; later ones only count here, and when the minute is over one more audit entry carries
-- the count that was not reported yet (`reported`). See docs/investigation.md, "Access records".
CREATE TABLE "access_records" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "access_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"bucket" text NOT NULL,
	"bucket_end" timestamp with time zone,
	"actor" text NOT NULL,
	"actor_id" text,
	"action" text NOT NULL,
	"route" text NOT NULL,
	"project_id" text,
	"seat_id" text,
	"subject" text,
	"reason" text,
	"case_id" text,
	"ip" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"count" integer NOT NULL,
	"reported" integer DEFAULT 0 NOT NULL,
	"first_at" timestamp with time zone NOT NULL,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "access_records_bucket_uq" UNIQUE NULLS NOT DISTINCT("kind","actor","action","route","project_id","seat_id","subject","bucket")
);
--> statement-breakpoint
CREATE INDEX "access_records_seat_idx" ON "access_records" USING btree ("seat_id","first_at");
--> statement-breakpoint
-- The flush looks only at minute buckets with counts not reported yet.
CREATE INDEX "access_records_unreported_idx" ON "access_records" USING btree ("bucket_end") WHERE "count" > "reported";
--> statement-breakpoint
-- The OS account a self-view session shows (issue #11): the operator who asked for the link, not every
-- shift at the seat. Null for links made before this (they show the seat, as they did).
ALTER TABLE "self_view_links" ADD COLUMN "os_user" text;
