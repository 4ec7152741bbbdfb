CREATE TABLE "tenant_purges" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"workflow_id" text NOT NULL,
	"phase" text NOT NULL,
	"deleted" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"rows_deleted" bigint DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "tenant_purges_phase_check" CHECK ("tenant_purges"."phase" in ('stopping', 'deleting', 'done'))
);
--> statement-breakpoint
ALTER TABLE "duo_integrations" DROP CONSTRAINT "duo_integrations_status_check";--> statement-breakpoint
ALTER TABLE "duo_integrations" ALTER COLUMN "api_host" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "duo_integrations" ALTER COLUMN "integration_key" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "tenant_purges" ADD CONSTRAINT "tenant_purges_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duo_integrations" ADD CONSTRAINT "duo_integrations_status_check" CHECK ("duo_integrations"."status" in ('syncing', 'active', 'paused', 'needs_attention', 'disconnected', 'purging'));--> statement-breakpoint
-- Tombstones of tenants purged before purges became a workflow keep no trace of the Duo account either.
UPDATE "duo_integrations" SET "api_host" = NULL, "integration_key" = NULL, "pause_note" = NULL, "last_error_code" = NULL, "last_error_message" = NULL WHERE "status" = 'disconnected' AND "purged_at" IS NOT NULL;
