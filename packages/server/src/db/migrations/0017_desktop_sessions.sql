-- The desktop sessions open now on shared computers (issue #14): the machine service tells each OS account's
-- session start and end with lifecycle events (docs/protocol.md, "Desktop sessions of a shared computer"); the
-- login records keep the history, this table what is open, for the board's operators and concurrent_login.
CREATE TABLE IF NOT EXISTS "desktop_sessions" (
	"agent_id" text NOT NULL,
	"project_id" text NOT NULL,
	"seat_id" text,
	"os_user" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"login_id" bigint,
	CONSTRAINT "desktop_sessions_agent_id_os_user_pk" PRIMARY KEY("agent_id","os_user")
);
--> statement-breakpoint
ALTER TABLE "desktop_sessions" ADD CONSTRAINT "desktop_sessions_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "desktop_sessions" ADD CONSTRAINT "desktop_sessions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "desktop_sessions" ADD CONSTRAINT "desktop_sessions_seat_id_seats_id_fk" FOREIGN KEY ("seat_id") REFERENCES "public"."seats"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "desktop_sessions" ADD CONSTRAINT "desktop_sessions_login_id_logins_id_fk" FOREIGN KEY ("login_id") REFERENCES "public"."logins"("id") ON DELETE set null ON UPDATE no action;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "desktop_sessions_project_os_user_idx" ON "desktop_sessions" USING btree ("project_id",lower("os_user"));
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "desktop_sessions_seat_idx" ON "desktop_sessions" USING btree ("seat_id");
