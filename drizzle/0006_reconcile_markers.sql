CREATE TABLE "reconciler_state" (
	"name" text PRIMARY KEY NOT NULL,
	"last_pass_at" timestamp with time zone,
	"last_full_sweep_at" timestamp with time zone,
	"config_fingerprint" text
);
--> statement-breakpoint
ALTER TABLE "duo_integrations" ADD COLUMN "last_error_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "duo_integrations" ADD COLUMN "schedule_desired_version" bigint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "duo_integrations" ADD COLUMN "schedule_reconciled_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "duo_integrations_schedule_pending_index" ON "duo_integrations" USING btree ("tenant_id") WHERE "duo_integrations"."schedule_desired_version" <> "duo_integrations"."schedule_reconciled_version";--> statement-breakpoint
CREATE INDEX "duo_integrations_status_tenant_index" ON "duo_integrations" USING btree ("status","tenant_id");--> statement-breakpoint
-- Errors recorded before their time was stored: the row's last change is the closest known.
UPDATE "duo_integrations" SET "last_error_at" = "updated_at" WHERE "last_error_code" IS NOT NULL;--> statement-breakpoint
-- Every update that changes what the tenant's schedule should be raises its desired version, so the
-- reconciler's changed-only pass finds it whichever code path wrote it (db/schema.ts).
CREATE FUNCTION "duo_integrations_raise_schedule_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status
    OR NEW.schedule_paused IS DISTINCT FROM OLD.schedule_paused
    OR NEW.pause_note IS DISTINCT FROM OLD.pause_note
    OR NEW.settings IS DISTINCT FROM OLD.settings THEN
    NEW.schedule_desired_version := OLD.schedule_desired_version + 1;
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER "duo_integrations_schedule_desired_version" BEFORE UPDATE ON "duo_integrations"
  FOR EACH ROW EXECUTE FUNCTION "duo_integrations_raise_schedule_version"();
