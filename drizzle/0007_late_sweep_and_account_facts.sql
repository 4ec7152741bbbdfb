CREATE TABLE "duo_account_facts" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"read_information" boolean,
	"read_applications" boolean,
	"grants_checked_at" timestamp with time zone,
	"user_count" integer,
	"admin_count" integer,
	"integration_count" integer,
	"user_pending_deletion_count" integer,
	"summary_fetched_at" timestamp with time zone,
	"catalogue_fetched_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "duo_application_catalogue" (
	"tenant_id" text NOT NULL,
	"application_key" text NOT NULL,
	"name" text NOT NULL,
	"type" text,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "duo_application_catalogue_tenant_id_application_key_pk" PRIMARY KEY("tenant_id","application_key")
);
--> statement-breakpoint
CREATE TABLE "late_log_sweeps" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"last_swept_at" timestamp with time zone,
	"window_start_ms" bigint,
	"window_end_ms" bigint,
	"cursor" text,
	"late_events_found" bigint DEFAULT 0 NOT NULL,
	"last_found" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "duo_account_facts" ADD CONSTRAINT "duo_account_facts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_application_catalogue" ADD CONSTRAINT "duo_application_catalogue_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "late_log_sweeps" ADD CONSTRAINT "late_log_sweeps_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;