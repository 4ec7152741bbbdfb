-- Event tables partitioned by month of occurred_at, compact authentication events, leaner rollup
-- indexes. Written by hand: drizzle-kit cannot express partitioning or INCLUDE; the snapshot beside
-- this file describes db/schema.ts, which is what the code uses.
--
-- A maintenance step, not an online one: stop the workers and the API first (both apply migrations
-- at start-up, so starting the new version does it). Every stored row is copied once, in this
-- migration's transaction; docs/OPERATIONS.md gives the measured time per million rows.
-- Authentication events copied here keep Duo's JSON uncompressed (codec 0 of db/event-codec.ts);
-- events stored from now on are compressed.

-- Creates the partition of `parent` for the UTC month starting at `month` unless it exists, and
-- reports whether it did. The partition is built as a plain table and then attached, which locks
-- the parent only against other DDL (SHARE UPDATE EXCLUSIVE): CREATE TABLE … PARTITION OF would
-- lock it against every read and write until the creating transaction ends.
CREATE FUNCTION duo_ensure_event_partition(parent regclass, month date) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  first_day date := date_trunc('month', month)::date;
  partition_name text := format('%s_%s', parent::text, to_char(first_day, 'YYYY_MM'));
BEGIN
  -- Several workers may ensure the same month at once: one creates it, the others find it.
  PERFORM pg_advisory_xact_lock(hashtext(partition_name));
  IF to_regclass(partition_name) IS NOT NULL THEN
    RETURN false;
  END IF;
  EXECUTE format('CREATE TABLE %I (LIKE %s INCLUDING DEFAULTS INCLUDING STORAGE INCLUDING COMPRESSION)', partition_name, parent);
  EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, partition_name,
    (first_day::timestamp AT TIME ZONE 'UTC'), ((first_day + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
  RETURN true;
END
$$;
--> statement-breakpoint

-- Authentication events: the previous table keeps its rows until they are copied.
DROP INDEX "duo_auth_events_tenant_id_occurred_at_index";--> statement-breakpoint
DROP INDEX "duo_auth_events_tenant_id_user_id_occurred_at_index";--> statement-breakpoint
DROP INDEX "duo_auth_events_tenant_id_application_key_occurred_at_index";--> statement-breakpoint
ALTER TABLE "duo_auth_events" RENAME TO "duo_auth_events_previous";--> statement-breakpoint
CREATE TABLE "duo_auth_events" (
	"occurred_at" timestamp with time zone NOT NULL,
	"ingested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"tenant_id" text NOT NULL,
	"txid" text NOT NULL,
	"user_id" text,
	"result" text,
	"application_key" text,
	"application_name" text,
	"raw" bytea NOT NULL,
	CONSTRAINT "duo_auth_events_tenant_id_occurred_at_txid_pk" PRIMARY KEY("tenant_id","occurred_at","txid")
) PARTITION BY RANGE ("occurred_at");--> statement-breakpoint
-- Compressed already (db/event-codec.ts): Postgres should not try again on the rare event over 2 kB.
ALTER TABLE "duo_auth_events" ALTER COLUMN "raw" SET STORAGE EXTERNAL;--> statement-breakpoint
CREATE INDEX "duo_auth_events_tenant_id_user_id_occurred_at_index" ON "duo_auth_events" USING btree ("tenant_id","user_id","occurred_at");--> statement-breakpoint

-- Optional streams.
DROP INDEX "duo_telephony_events_tenant_id_occurred_at_index";--> statement-breakpoint
ALTER TABLE "duo_telephony_events" RENAME TO "duo_telephony_events_previous";--> statement-breakpoint
CREATE TABLE "duo_telephony_events" (
	"tenant_id" text NOT NULL,
	"telephony_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"raw" jsonb NOT NULL,
	CONSTRAINT "duo_telephony_events_tenant_id_occurred_at_telephony_id_pk" PRIMARY KEY("tenant_id","occurred_at","telephony_id")
) PARTITION BY RANGE ("occurred_at");--> statement-breakpoint
DROP INDEX "duo_activity_events_tenant_id_occurred_at_index";--> statement-breakpoint
ALTER TABLE "duo_activity_events" RENAME TO "duo_activity_events_previous";--> statement-breakpoint
CREATE TABLE "duo_activity_events" (
	"tenant_id" text NOT NULL,
	"activity_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"raw" jsonb NOT NULL,
	CONSTRAINT "duo_activity_events_tenant_id_occurred_at_activity_id_pk" PRIMARY KEY("tenant_id","occurred_at","activity_id")
) PARTITION BY RANGE ("occurred_at");--> statement-breakpoint
DROP INDEX "duo_admin_events_tenant_id_occurred_at_index";--> statement-breakpoint
ALTER TABLE "duo_admin_events" RENAME TO "duo_admin_events_previous";--> statement-breakpoint
CREATE TABLE "duo_admin_events" (
	"tenant_id" text NOT NULL,
	"row_hash" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"raw" jsonb NOT NULL,
	CONSTRAINT "duo_admin_events_tenant_id_occurred_at_row_hash_pk" PRIMARY KEY("tenant_id","occurred_at","row_hash")
) PARTITION BY RANGE ("occurred_at");--> statement-breakpoint

-- A partition for every month the stored rows span, and for this month and the next three; the
-- worker keeps creating them ahead (db/event-partitions.ts).
SELECT duo_ensure_event_partition('duo_auth_events', m::date) FROM generate_series(
  date_trunc('month', least(now(), (SELECT min("occurred_at") FROM "duo_auth_events_previous")) AT TIME ZONE 'UTC'),
  date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month') AS m;--> statement-breakpoint
SELECT duo_ensure_event_partition('duo_telephony_events', m::date) FROM generate_series(
  date_trunc('month', least(now(), (SELECT min("occurred_at") FROM "duo_telephony_events_previous")) AT TIME ZONE 'UTC'),
  date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month') AS m;--> statement-breakpoint
SELECT duo_ensure_event_partition('duo_activity_events', m::date) FROM generate_series(
  date_trunc('month', least(now(), (SELECT min("occurred_at") FROM "duo_activity_events_previous")) AT TIME ZONE 'UTC'),
  date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month') AS m;--> statement-breakpoint
SELECT duo_ensure_event_partition('duo_admin_events', m::date) FROM generate_series(
  date_trunc('month', least(now(), (SELECT min("occurred_at") FROM "duo_admin_events_previous")) AT TIME ZONE 'UTC'),
  date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', interval '1 month') AS m;--> statement-breakpoint

-- Copy. Codec 0: Duo's JSON as Postgres stored it, without compression.
INSERT INTO "duo_auth_events" ("occurred_at", "ingested_at", "tenant_id", "txid", "user_id", "result", "application_key", "application_name", "raw")
SELECT "occurred_at", "ingested_at", "tenant_id", "txid", "user_id", "result", "application_key", "application_name",
  '\x00'::bytea || convert_to("raw"::text, 'UTF8')
FROM "duo_auth_events_previous";--> statement-breakpoint
INSERT INTO "duo_telephony_events" SELECT "tenant_id", "telephony_id", "occurred_at", "raw" FROM "duo_telephony_events_previous";--> statement-breakpoint
INSERT INTO "duo_activity_events" SELECT "tenant_id", "activity_id", "occurred_at", "raw" FROM "duo_activity_events_previous";--> statement-breakpoint
INSERT INTO "duo_admin_events" SELECT "tenant_id", "row_hash", "occurred_at", "raw" FROM "duo_admin_events_previous";--> statement-breakpoint

-- What each tenant holds per stream and month (maintained at ingest from now on).
CREATE TABLE "duo_event_months" (
	"tenant_id" text NOT NULL,
	"stream" text NOT NULL,
	"month" date NOT NULL,
	"events" bigint NOT NULL,
	"oldest_at" timestamp with time zone NOT NULL,
	"newest_at" timestamp with time zone NOT NULL,
	CONSTRAINT "duo_event_months_tenant_id_stream_month_pk" PRIMARY KEY("tenant_id","stream","month")
);--> statement-breakpoint
CREATE INDEX "duo_event_months_stream_month_index" ON "duo_event_months" USING btree ("stream","month");--> statement-breakpoint
INSERT INTO "duo_event_months" ("tenant_id", "stream", "month", "events", "oldest_at", "newest_at")
SELECT "tenant_id", s.stream, date_trunc('month', "occurred_at" AT TIME ZONE 'UTC')::date, count(*), min("occurred_at"), max("occurred_at")
FROM (
  SELECT 'auth' AS stream, "tenant_id", "occurred_at" FROM "duo_auth_events_previous"
  UNION ALL SELECT 'telephony', "tenant_id", "occurred_at" FROM "duo_telephony_events_previous"
  UNION ALL SELECT 'activity', "tenant_id", "occurred_at" FROM "duo_activity_events_previous"
  UNION ALL SELECT 'administrator', "tenant_id", "occurred_at" FROM "duo_admin_events_previous"
) s
GROUP BY "tenant_id", s.stream, 3;--> statement-breakpoint

DROP TABLE "duo_auth_events_previous";--> statement-breakpoint
DROP TABLE "duo_telephony_events_previous";--> statement-breakpoint
DROP TABLE "duo_activity_events_previous";--> statement-breakpoint
DROP TABLE "duo_admin_events_previous";--> statement-breakpoint

-- Rollups: each key carries the counts its readers need, replacing a covering index beside it.
DROP INDEX "duo_user_daily_activity_auth_counts_index";--> statement-breakpoint
ALTER TABLE "duo_user_daily_activity" DROP CONSTRAINT "duo_user_daily_activity_tenant_id_user_id_day_pk";--> statement-breakpoint
ALTER TABLE "duo_user_daily_activity" ADD CONSTRAINT "duo_user_daily_activity_tenant_id_user_id_day_pk"
  PRIMARY KEY ("tenant_id", "user_id", "day") INCLUDE ("auth_count");--> statement-breakpoint
DROP INDEX "duo_application_daily_activity_per_user_index";--> statement-breakpoint
ALTER TABLE "duo_application_daily_activity" DROP CONSTRAINT "duo_application_daily_activity_tenant_id_application_key_day_user_id_pk";--> statement-breakpoint
ALTER TABLE "duo_application_daily_activity" ADD CONSTRAINT "duo_application_daily_activity_tenant_id_user_id_day_application_key_pk"
  PRIMARY KEY ("tenant_id", "user_id", "day", "application_key") INCLUDE ("auth_count", "success_count", "denied_count", "fraud_count");--> statement-breakpoint
CREATE INDEX "duo_application_daily_activity_tenant_id_day_index" ON "duo_application_daily_activity" USING btree ("tenant_id","day");
