CREATE TABLE "anomaly_alert_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"target_kind" text NOT NULL,
	"target_id" text NOT NULL,
	"anomaly_id" text NOT NULL,
	"event" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"payload" jsonb,
	"last_status_code" integer,
	"last_error" text,
	"attempt_log" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "anomaly_syslog_targets" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"transport" text NOT NULL,
	"facility" integer NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"min_severity" text NOT NULL,
	"rules" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"events" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "anomaly_webhooks" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"url" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"min_severity" text NOT NULL,
	"rules" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"events" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "anomaly_rule_settings" (
	"project_id" text NOT NULL,
	"rule" text NOT NULL,
	"enabled" boolean NOT NULL,
	"severity" text NOT NULL,
	"config" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "anomaly_rule_settings_pk" PRIMARY KEY("project_id","rule")
);
--> statement-breakpoint
CREATE TABLE "anomaly_shift_schedules" (
	"team_id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"time_zone" text NOT NULL,
	"weekly" jsonb NOT NULL,
	"exceptions" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text
);
--> statement-breakpoint
ALTER TABLE "anomaly_alert_deliveries" ADD CONSTRAINT "anomaly_alert_deliveries_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_alert_deliveries" ADD CONSTRAINT "anomaly_alert_deliveries_anomaly_id_anomalies_id_fk" FOREIGN KEY ("anomaly_id") REFERENCES "public"."anomalies"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_syslog_targets" ADD CONSTRAINT "anomaly_syslog_targets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_webhooks" ADD CONSTRAINT "anomaly_webhooks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_rule_settings" ADD CONSTRAINT "anomaly_rule_settings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_shift_schedules" ADD CONSTRAINT "anomaly_shift_schedules_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "anomaly_shift_schedules" ADD CONSTRAINT "anomaly_shift_schedules_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "anomaly_alert_deliveries_due_idx" ON "anomaly_alert_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "anomaly_alert_deliveries_target_idx" ON "anomaly_alert_deliveries" USING btree ("target_id","created_at");--> statement-breakpoint
CREATE INDEX "anomaly_alert_deliveries_anomaly_idx" ON "anomaly_alert_deliveries" USING btree ("anomaly_id");--> statement-breakpoint
CREATE INDEX "anomaly_syslog_targets_project_idx" ON "anomaly_syslog_targets" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "anomaly_webhooks_project_idx" ON "anomaly_webhooks" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "anomaly_shift_schedules_project_idx" ON "anomaly_shift_schedules" USING btree ("project_id");