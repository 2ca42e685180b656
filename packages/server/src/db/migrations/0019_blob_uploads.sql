-- Screenshot bytes are stored before the row that refers to them is committed, so a commit that
-- fails for good (the process killed, the frame never sent again) leaves bytes no row refers to
-- (issue #15). Each stored blob is noted here first; the orphan sweep (blobs/orphan-sweep.ts)
-- forgets the notes whose hash a screenshot refers to and deletes the bytes of the others once
-- they are older than its grace period.
CREATE TABLE IF NOT EXISTS "blob_uploads" (
	"sha256" text PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "blob_uploads_started_at_idx" ON "blob_uploads" USING btree ("started_at");
