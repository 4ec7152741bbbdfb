CREATE TABLE "roster_malformed_pages" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"malformed_streak" integer DEFAULT 0 NOT NULL,
	"malformed_at" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "backfill_windows" ADD COLUMN "malformed_streak" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "backfill_windows" ADD COLUMN "malformed_at" text;--> statement-breakpoint
ALTER TABLE "stream_checkpoints" ADD COLUMN "malformed_streak" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "stream_checkpoints" ADD COLUMN "malformed_at" text;--> statement-breakpoint
ALTER TABLE "roster_malformed_pages" ADD CONSTRAINT "roster_malformed_pages_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;