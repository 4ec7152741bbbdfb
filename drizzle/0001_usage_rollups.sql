CREATE TABLE "duo_application_daily_totals" (
	"tenant_id" text NOT NULL,
	"application_key" text NOT NULL,
	"day" date NOT NULL,
	"auth_count" integer DEFAULT 0 NOT NULL,
	"success_count" integer DEFAULT 0 NOT NULL,
	"denied_count" integer DEFAULT 0 NOT NULL,
	"fraud_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "duo_application_daily_totals_tenant_id_application_key_day_pk" PRIMARY KEY("tenant_id","application_key","day")
);
--> statement-breakpoint
CREATE TABLE "duo_application_users" (
	"tenant_id" text NOT NULL,
	"application_key" text NOT NULL,
	"user_id" text NOT NULL,
	"last_success_at" timestamp with time zone,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "duo_application_users_tenant_id_application_key_user_id_pk" PRIMARY KEY("tenant_id","application_key","user_id")
);
--> statement-breakpoint
DROP INDEX "duo_application_daily_activity_tenant_id_user_id_day_index";--> statement-breakpoint
CREATE INDEX "duo_application_users_tenant_id_application_key_last_success_at_index" ON "duo_application_users" USING btree ("tenant_id","application_key","last_success_at");--> statement-breakpoint
CREATE INDEX "duo_application_daily_activity_per_user_index" ON "duo_application_daily_activity" USING btree ("tenant_id","user_id","day","application_key","auth_count","success_count","denied_count","fraud_count");--> statement-breakpoint
CREATE INDEX "duo_user_daily_activity_auth_counts_index" ON "duo_user_daily_activity" USING btree ("tenant_id","user_id","day","auth_count");--> statement-breakpoint
CREATE INDEX "duo_users_current_roster_activity_index" ON "duo_users" USING btree ("tenant_id","status","last_activity_at","user_id","created_in_duo_at","is_enrolled") WHERE "duo_users"."in_roster" and "duo_users"."deleted_at" is null;--> statement-breakpoint
-- Backfill: the new rollups of every event already stored, as storeAuthEvents would have folded them
-- (identified users only). Writers running the previous code must be stopped while this runs: events
-- they store afterwards would be missing from these two tables.
INSERT INTO "duo_application_users" ("tenant_id", "application_key", "user_id", "last_success_at", "last_at")
SELECT "tenant_id", "application_key", "user_id", max("occurred_at") FILTER (WHERE "result" = 'success'), max("occurred_at")
FROM "duo_auth_events"
WHERE "user_id" IS NOT NULL AND "user_id" <> '' AND "application_key" IS NOT NULL
GROUP BY "tenant_id", "application_key", "user_id"
ON CONFLICT ("tenant_id", "application_key", "user_id") DO NOTHING;--> statement-breakpoint
INSERT INTO "duo_application_daily_totals" ("tenant_id", "application_key", "day", "auth_count", "success_count", "denied_count", "fraud_count")
SELECT "tenant_id", "application_key", ("occurred_at" AT TIME ZONE 'UTC')::date, count(*),
  count(*) FILTER (WHERE "result" = 'success'), count(*) FILTER (WHERE "result" = 'denied'), count(*) FILTER (WHERE "result" = 'fraud')
FROM "duo_auth_events"
WHERE "user_id" IS NOT NULL AND "user_id" <> '' AND "application_key" IS NOT NULL
GROUP BY "tenant_id", "application_key", ("occurred_at" AT TIME ZONE 'UTC')::date
ON CONFLICT ("tenant_id", "application_key", "day") DO NOTHING;
