CREATE TABLE "backfill_windows" (
	"tenant_id" text NOT NULL,
	"stream" text NOT NULL,
	"window_start_ms" bigint NOT NULL,
	"window_end_ms" bigint NOT NULL,
	"cursor" text,
	"done" boolean DEFAULT false NOT NULL,
	"pages" integer DEFAULT 0 NOT NULL,
	"events" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "backfill_windows_tenant_id_stream_window_start_ms_pk" PRIMARY KEY("tenant_id","stream","window_start_ms")
);
--> statement-breakpoint
CREATE TABLE "duo_activity_events" (
	"tenant_id" text NOT NULL,
	"activity_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"raw" jsonb NOT NULL,
	CONSTRAINT "duo_activity_events_tenant_id_activity_id_pk" PRIMARY KEY("tenant_id","activity_id")
);
--> statement-breakpoint
CREATE TABLE "duo_admin_events" (
	"tenant_id" text NOT NULL,
	"row_hash" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"raw" jsonb NOT NULL,
	CONSTRAINT "duo_admin_events_tenant_id_row_hash_pk" PRIMARY KEY("tenant_id","row_hash")
);
--> statement-breakpoint
CREATE TABLE "duo_application_daily_activity" (
	"tenant_id" text NOT NULL,
	"application_key" text NOT NULL,
	"user_id" text NOT NULL,
	"day" date NOT NULL,
	"auth_count" integer DEFAULT 0 NOT NULL,
	"success_count" integer DEFAULT 0 NOT NULL,
	"denied_count" integer DEFAULT 0 NOT NULL,
	"fraud_count" integer DEFAULT 0 NOT NULL,
	"last_at" timestamp with time zone,
	CONSTRAINT "duo_application_daily_activity_tenant_id_application_key_day_user_id_pk" PRIMARY KEY("tenant_id","application_key","day","user_id")
);
--> statement-breakpoint
CREATE TABLE "duo_applications" (
	"tenant_id" text NOT NULL,
	"application_key" text NOT NULL,
	"name" text,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "duo_applications_tenant_id_application_key_pk" PRIMARY KEY("tenant_id","application_key")
);
--> statement-breakpoint
CREATE TABLE "duo_auth_events" (
	"tenant_id" text NOT NULL,
	"txid" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"user_id" text,
	"username" text,
	"result" text,
	"reason" text,
	"factor" text,
	"event_type" text,
	"application_key" text,
	"application_name" text,
	"access_ip" text,
	"access_city" text,
	"access_state" text,
	"access_country" text,
	"raw" jsonb NOT NULL,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "duo_auth_events_tenant_id_txid_pk" PRIMARY KEY("tenant_id","txid")
);
--> statement-breakpoint
CREATE TABLE "duo_groups" (
	"tenant_id" text NOT NULL,
	"group_id" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"status" text,
	"raw" jsonb NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "duo_groups_tenant_id_group_id_pk" PRIMARY KEY("tenant_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "duo_integrations" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"api_host" text NOT NULL,
	"integration_key" text NOT NULL,
	"secret_key_sealed" text,
	"encryption_key_id" text,
	"status" text NOT NULL,
	"last_error_code" text,
	"last_error_message" text,
	"anchor_at" timestamp with time zone NOT NULL,
	"backfill_start_at" timestamp with time zone NOT NULL,
	"initial_sync_workflow_id" text,
	"initial_sync_run_id" text,
	"initial_sync_state" text NOT NULL,
	"initial_sync_phase" text NOT NULL,
	"initial_sync_started_at" timestamp with time zone NOT NULL,
	"initial_sync_completed_at" timestamp with time zone,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"schedule_paused" boolean DEFAULT false NOT NULL,
	"pause_note" text,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"last_run_outcome" text,
	"last_run_at" timestamp with time zone,
	"last_sync_at" timestamp with time zone,
	"last_roster_sync_at" timestamp with time zone,
	"retention_alarm_at" timestamp with time zone,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disconnected_at" timestamp with time zone,
	"purged_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "duo_rate_budgets" (
	"budget_key" text PRIMARY KEY NOT NULL,
	"tokens" double precision NOT NULL,
	"rate_factor" double precision DEFAULT 1 NOT NULL,
	"limited_factor" double precision,
	"blocked_until" timestamp with time zone,
	"refilled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"requests" bigint DEFAULT 0 NOT NULL,
	"rate_limited" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "duo_telephony_events" (
	"tenant_id" text NOT NULL,
	"telephony_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"raw" jsonb NOT NULL,
	CONSTRAINT "duo_telephony_events_tenant_id_telephony_id_pk" PRIMARY KEY("tenant_id","telephony_id")
);
--> statement-breakpoint
CREATE TABLE "duo_user_daily_activity" (
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"day" date NOT NULL,
	"auth_count" integer DEFAULT 0 NOT NULL,
	"success_count" integer DEFAULT 0 NOT NULL,
	"denied_count" integer DEFAULT 0 NOT NULL,
	"fraud_count" integer DEFAULT 0 NOT NULL,
	"last_success_at" timestamp with time zone,
	CONSTRAINT "duo_user_daily_activity_tenant_id_user_id_day_pk" PRIMARY KEY("tenant_id","user_id","day")
);
--> statement-breakpoint
CREATE TABLE "duo_user_groups" (
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"group_id" text NOT NULL,
	CONSTRAINT "duo_user_groups_tenant_id_user_id_group_id_pk" PRIMARY KEY("tenant_id","user_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "duo_users" (
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"username" text NOT NULL,
	"realname" text,
	"email" text,
	"status" text NOT NULL,
	"is_enrolled" boolean DEFAULT false NOT NULL,
	"created_in_duo_at" timestamp with time zone,
	"last_login_at" timestamp with time zone,
	"aliases" text[] DEFAULT '{}'::text[] NOT NULL,
	"raw" jsonb,
	"last_success_at" timestamp with time zone,
	"last_activity_at" timestamp with time zone,
	"in_roster" boolean DEFAULT true NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "duo_users_tenant_id_user_id_pk" PRIMARY KEY("tenant_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "encryption_key_checks" (
	"key_id" text PRIMARY KEY NOT NULL,
	"check_value" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stream_checkpoints" (
	"tenant_id" text NOT NULL,
	"stream" text NOT NULL,
	"synced_through_ms" bigint NOT NULL,
	"window_end_ms" bigint,
	"cursor" text,
	"event_count" bigint DEFAULT 0 NOT NULL,
	"oldest_event_at" timestamp with time zone,
	"newest_event_at" timestamp with time zone,
	"enabled" boolean DEFAULT true NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stream_checkpoints_tenant_id_stream_pk" PRIMARY KEY("tenant_id","stream")
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"kind" text NOT NULL,
	"workflow_id" text NOT NULL,
	"run_id" text NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"outcome" text DEFAULT 'running' NOT NULL,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error_code" text,
	"error_message" text
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" text PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "backfill_windows" ADD CONSTRAINT "backfill_windows_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_activity_events" ADD CONSTRAINT "duo_activity_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_admin_events" ADD CONSTRAINT "duo_admin_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_auth_events" ADD CONSTRAINT "duo_auth_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_groups" ADD CONSTRAINT "duo_groups_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_integrations" ADD CONSTRAINT "duo_integrations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_telephony_events" ADD CONSTRAINT "duo_telephony_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_users" ADD CONSTRAINT "duo_users_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stream_checkpoints" ADD CONSTRAINT "stream_checkpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "duo_activity_events_tenant_id_occurred_at_index" ON "duo_activity_events" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "duo_admin_events_tenant_id_occurred_at_index" ON "duo_admin_events" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "duo_application_daily_activity_tenant_id_user_id_day_index" ON "duo_application_daily_activity" USING btree ("tenant_id","user_id","day");--> statement-breakpoint
CREATE INDEX "duo_auth_events_tenant_id_occurred_at_index" ON "duo_auth_events" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "duo_auth_events_tenant_id_user_id_occurred_at_index" ON "duo_auth_events" USING btree ("tenant_id","user_id","occurred_at");--> statement-breakpoint
CREATE INDEX "duo_auth_events_tenant_id_application_key_occurred_at_index" ON "duo_auth_events" USING btree ("tenant_id","application_key","occurred_at");--> statement-breakpoint
CREATE INDEX "duo_telephony_events_tenant_id_occurred_at_index" ON "duo_telephony_events" USING btree ("tenant_id","occurred_at");--> statement-breakpoint
CREATE INDEX "duo_user_daily_activity_tenant_id_day_index" ON "duo_user_daily_activity" USING btree ("tenant_id","day");--> statement-breakpoint
CREATE INDEX "duo_user_groups_tenant_id_group_id_index" ON "duo_user_groups" USING btree ("tenant_id","group_id");--> statement-breakpoint
CREATE INDEX "duo_users_tenant_id_username_index" ON "duo_users" USING btree ("tenant_id","username");--> statement-breakpoint
CREATE INDEX "duo_users_tenant_id_status_index" ON "duo_users" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE INDEX "duo_users_tenant_id_last_activity_at_index" ON "duo_users" USING btree ("tenant_id","last_activity_at");--> statement-breakpoint
CREATE INDEX "sync_runs_tenant_id_started_at_index" ON "sync_runs" USING btree ("tenant_id","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_runs_workflow_id_run_id_index" ON "sync_runs" USING btree ("workflow_id","run_id");