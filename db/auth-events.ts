import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { addToStreamCounters } from './stream-checkpoints.js';

/** One authentication event, flattened for storage; `raw` is Duo's object as received. */
export interface AuthEventRecord {
  txid: string;
  /** Duo's `isotimestamp` (microseconds) when present, else derived from `timestamp`. */
  occurredAt: string;
  userId: string | null;
  username: string | null;
  result: string | null;
  reason: string | null;
  factor: string | null;
  eventType: string | null;
  applicationKey: string | null;
  applicationName: string | null;
  accessIp: string | null;
  accessCity: string | null;
  accessState: string | null;
  accessCountry: string | null;
  raw: unknown;
}

export interface StoredPage {
  /** Rows that were new; re-delivered rows are skipped and not counted. */
  inserted: number;
  oldestAt: Date | null;
  newestAt: Date | null;
}

/**
 * Stores one page of authentication events idempotently (natural key tenant + txid) and, in the same
 * statement, folds only the newly inserted rows into the per-user and per-application daily rollups,
 * the per-application user and daily-total rollups, the users' last successful authentication and
 * the application names. One round trip per page.
 * Call it inside the transaction that also saves the page cursor.
 */
export async function storeAuthEvents(db: Queryable, tenantId: string, events: AuthEventRecord[]): Promise<StoredPage> {
  if (events.length === 0) return { inserted: 0, oldestAt: null, newestAt: null };
  const payload = JSON.stringify(events);
  const result = await db.execute<{ inserted: number; oldest_at: string | null; newest_at: string | null }>(sql`
    with input as (
      select distinct on (x.txid) x.*
      from jsonb_to_recordset(${payload}::jsonb) as x(
        "txid" text, "occurredAt" timestamptz, "userId" text, "username" text, "result" text, "reason" text,
        "factor" text, "eventType" text, "applicationKey" text, "applicationName" text, "accessIp" text,
        "accessCity" text, "accessState" text, "accessCountry" text, "raw" jsonb)
    ),
    ins as (
      insert into duo_auth_events (tenant_id, txid, occurred_at, user_id, username, result, reason, factor, event_type,
        application_key, application_name, access_ip, access_city, access_state, access_country, raw)
      select ${tenantId}, i."txid", i."occurredAt", i."userId", i."username", i."result", i."reason", i."factor",
        i."eventType", i."applicationKey", i."applicationName", i."accessIp", i."accessCity", i."accessState",
        i."accessCountry", i."raw"
      from input i
      on conflict (tenant_id, txid) do nothing
      returning user_id, username, result, application_key, application_name, occurred_at
    ),
    user_daily as (
      insert into duo_user_daily_activity as d (tenant_id, user_id, day, auth_count, success_count, denied_count, fraud_count, last_success_at)
      select ${tenantId}, user_id, (occurred_at at time zone 'UTC')::date, count(*),
        count(*) filter (where result = 'success'), count(*) filter (where result = 'denied'),
        count(*) filter (where result = 'fraud'), max(occurred_at) filter (where result = 'success')
      from ins where user_id is not null and user_id <> ''
      group by user_id, (occurred_at at time zone 'UTC')::date
      on conflict (tenant_id, user_id, day) do update set
        auth_count = d.auth_count + excluded.auth_count,
        success_count = d.success_count + excluded.success_count,
        denied_count = d.denied_count + excluded.denied_count,
        fraud_count = d.fraud_count + excluded.fraud_count,
        last_success_at = greatest(d.last_success_at, excluded.last_success_at)
      returning 1
    ),
    app_daily as (
      insert into duo_application_daily_activity as a (tenant_id, application_key, user_id, day, auth_count, success_count, denied_count, fraud_count, last_at)
      select ${tenantId}, application_key, user_id, (occurred_at at time zone 'UTC')::date, count(*),
        count(*) filter (where result = 'success'), count(*) filter (where result = 'denied'),
        count(*) filter (where result = 'fraud'), max(occurred_at)
      from ins where user_id is not null and user_id <> '' and application_key is not null
      group by application_key, user_id, (occurred_at at time zone 'UTC')::date
      on conflict (tenant_id, application_key, day, user_id) do update set
        auth_count = a.auth_count + excluded.auth_count,
        success_count = a.success_count + excluded.success_count,
        denied_count = a.denied_count + excluded.denied_count,
        fraud_count = a.fraud_count + excluded.fraud_count,
        last_at = greatest(a.last_at, excluded.last_at)
      returning 1
    ),
    app_users as (
      insert into duo_application_users as au (tenant_id, application_key, user_id, last_success_at, last_at)
      select ${tenantId}, application_key, user_id, max(occurred_at) filter (where result = 'success'), max(occurred_at)
      from ins where user_id is not null and user_id <> '' and application_key is not null
      group by application_key, user_id
      on conflict (tenant_id, application_key, user_id) do update set
        last_success_at = greatest(au.last_success_at, excluded.last_success_at),
        last_at = greatest(au.last_at, excluded.last_at)
      -- Older events (a backfill runs newest first) change nothing: leave the row alone, no new version.
      where excluded.last_at > au.last_at or excluded.last_success_at > coalesce(au.last_success_at, '-infinity')
      returning 1
    ),
    app_totals as (
      insert into duo_application_daily_totals as t (tenant_id, application_key, day, auth_count, success_count, denied_count, fraud_count)
      select ${tenantId}, application_key, (occurred_at at time zone 'UTC')::date, count(*),
        count(*) filter (where result = 'success'), count(*) filter (where result = 'denied'),
        count(*) filter (where result = 'fraud')
      from ins where user_id is not null and user_id <> '' and application_key is not null
      group by application_key, (occurred_at at time zone 'UTC')::date
      on conflict (tenant_id, application_key, day) do update set
        auth_count = t.auth_count + excluded.auth_count,
        success_count = t.success_count + excluded.success_count,
        denied_count = t.denied_count + excluded.denied_count,
        fraud_count = t.fraud_count + excluded.fraud_count
      returning 1
    ),
    apps as (
      insert into duo_applications as p (tenant_id, application_key, name, last_used_at)
      select distinct on (application_key) ${tenantId}, application_key, application_name, occurred_at
      from ins where application_key is not null
      order by application_key, occurred_at desc
      on conflict (tenant_id, application_key) do update set
        name = case when excluded.last_used_at >= coalesce(p.last_used_at, excluded.last_used_at) then coalesce(excluded.name, p.name) else p.name end,
        last_used_at = greatest(p.last_used_at, excluded.last_used_at)
      returning 1
    ),
    users as (
      -- Users seen in events before the roster knows them get a placeholder row (in_roster = false).
      insert into duo_users as u (tenant_id, user_id, username, status, in_roster, last_success_at, last_activity_at)
      select distinct on (user_id) ${tenantId}, user_id, coalesce(username, user_id), 'unknown', false,
        max(occurred_at) filter (where result = 'success') over (partition by user_id),
        max(occurred_at) filter (where result = 'success') over (partition by user_id)
      from ins where user_id is not null and user_id <> ''
      on conflict (tenant_id, user_id) do update set
        last_success_at = greatest(u.last_success_at, excluded.last_success_at),
        last_activity_at = greatest(u.last_activity_at, excluded.last_success_at)
      -- Only a newer success changes the row; rewriting every user of every page bloats duo_users.
      where excluded.last_success_at > coalesce(u.last_success_at, '-infinity')
      returning 1
    )
    select (select count(*) from ins)::int as inserted,
      (select min(occurred_at) from ins) as oldest_at,
      (select max(occurred_at) from ins) as newest_at
  `);
  const row = result[0];
  const inserted = row?.inserted ?? 0;
  await addToStreamCounters(db, tenantId, 'auth', { inserted, oldestAt: row?.oldest_at ?? null, newestAt: row?.newest_at ?? null });
  return {
    inserted,
    oldestAt: row?.oldest_at ? new Date(row.oldest_at) : null,
    newestAt: row?.newest_at ? new Date(row.newest_at) : null,
  };
}
