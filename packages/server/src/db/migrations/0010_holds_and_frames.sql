-- Signed frames kept verbatim for seats under legal hold (issue #11): the exact envelope text an agent
-- sent, so an evidence bundle can carry the seat's own signature and not only the server's word.
CREATE TABLE "signed_frames" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "signed_frames_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"project_id" text NOT NULL,
	"agent_id" text NOT NULL,
	"seat_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"kind" text NOT NULL,
	"envelope" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "signed_frames_agent_seq_uq" UNIQUE("agent_id","seq")
);
--> statement-breakpoint
ALTER TABLE "signed_frames" ADD CONSTRAINT "signed_frames_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "signed_frames_seat_received_idx" ON "signed_frames" USING btree ("seat_id","received_at");
--> statement-breakpoint
CREATE INDEX "signed_frames_project_received_idx" ON "signed_frames" USING btree ("project_id","received_at");
--> statement-breakpoint
-- Every version of every policy (capture settings and monitoring notice), written by the database itself
-- so that no code path can change a policy without leaving its previous version behind.
CREATE TABLE "policy_history" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "policy_history_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"policy_id" text NOT NULL,
	"project_id" text NOT NULL,
	"site_id" text,
	"settings" jsonb NOT NULL,
	"notice_text" text NOT NULL,
	"notice_version" integer NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "policy_history" ADD CONSTRAINT "policy_history_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX "policy_history_project_idx" ON "policy_history" USING btree ("project_id","recorded_at");
--> statement-breakpoint
CREATE FUNCTION "policy_history_record"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.settings IS NOT DISTINCT FROM NEW.settings
     AND OLD.notice_text IS NOT DISTINCT FROM NEW.notice_text
     AND OLD.notice_version IS NOT DISTINCT FROM NEW.notice_version THEN
    RETURN NULL;
  END IF;
  INSERT INTO policy_history (policy_id, project_id, site_id, settings, notice_text, notice_version, recorded_at)
  VALUES (NEW.id, NEW.project_id, NEW.site_id, NEW.settings, NEW.notice_text, NEW.notice_version, now());
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "policies_history" AFTER INSERT OR UPDATE ON "policies"
  FOR EACH ROW EXECUTE FUNCTION "policy_history_record"();
--> statement-breakpoint
-- The versions in force before this migration: their history starts here.
INSERT INTO "policy_history" ("policy_id", "project_id", "site_id", "settings", "notice_text", "notice_version", "recorded_at")
  SELECT "id", "project_id", "site_id", "settings", "notice_text", "notice_version", "updated_at" FROM "policies";
