import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { encodeAuthEvent } from './event-codec.js';
import { missingPartitionError } from './event-partitions.js';
import { addToStreamCounters, monthCountsOf, type MonthCount } from './stream-checkpoints.js';

/**
 * One authentication event for storage: the columns SQL filters and folds on, and `raw`, Duo's object
 * as received (stored compressed, db/event-codec.ts; everything else Duo sent is read back from it).
 */
export interface AuthEventRecord {
  txid: string;
  /** Duo's `isotimestamp` (microseconds) when present, else derived from `timestamp`. */
  occurredAt: string;
  userId: string | null;
  /** Names the placeholder user of an event whose user the roster does not know yet; not stored per event. */
  username: string | null;
  result: string | null;
  applicationKey: string | null;
  applicationName: string | null;
  raw: unknown;
}

export interface StoredPage {
  /** Rows that were new; re-delivered rows are skipped and not counted. */
  inserted: number;
  oldestAt: Date | null;
  newestAt: Date | null;
}

/**
 * Stores one page of authentication events idempotently (natural key tenant + occurred_at + txid)
 * and, in the same statement, folds only the newly inserted rows into the per-user and
 * per-application daily rollups, the per-application user and daily-total rollups and the new users
 * and applications; then moves the shared "latest" times forward (raiseLatestTimes) and the stream's
 * counters. Three statements per page. Call it inside the transaction that also saves the page
 * cursor, after ensureEventPartitions covered the page's months (a missing month fails with
 * EVENT_PARTITION_MISSING).
 */
export async function storeAuthEvents(db: Queryable, tenantId: string, events: AuthEventRecord[]): Promise<StoredPage> {
  if (events.length === 0) return { inserted: 0, oldestAt: null, newestAt: null };
  const payload = JSON.stringify(
    events.map((e) => ({
      t: e.txid,
      o: e.occurredAt,
      u: e.userId,
      n: e.username,
      r: e.result,
      a: e.applicationKey,
      an: e.applicationName,
      b: encodeAuthEvent(e.raw, e.txid).toString('base64'),
    })),
  );
  let result;
  try {
    result = await db.execute<{ inserted: number; oldest_at: string | null; newest_at: string | null; months: MonthCount[] | null }>(sql`
    with input as (
      select distinct on (x.t) x.*
      from jsonb_to_recordset(${payload}::jsonb) as x("t" text, "o" timestamptz, "u" text, "n" text, "r" text, "a" text, "an" text, "b" text)
      -- A person erased on request stays erased: Duo still serves their older events.
      where not exists (select 1 from duo_user_erasures e where e.tenant_id = ${tenantId} and e.user_id = x."u" and x."o" <= e.erased_at)
    ),
    ins as (
      insert into duo_auth_events (occurred_at, tenant_id, txid, user_id, result, application_key, application_name, raw)
      select i."o", ${tenantId}, i."t", i."u", i."r", i."a", i."an", decode(i."b", 'base64')
      from input i
      -- In time order, as the key is: index pages fill up instead of splitting at random txids.
      order by i."o", i."t"
      on conflict (tenant_id, occurred_at, txid) do nothing
      returning txid, user_id, result, application_key, application_name, occurred_at
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
      on conflict (tenant_id, user_id, day, application_key) do update set
        auth_count = a.auth_count + excluded.auth_count,
        success_count = a.success_count + excluded.success_count,
        denied_count = a.denied_count + excluded.denied_count,
        fraud_count = a.fraud_count + excluded.fraud_count,
        last_at = greatest(a.last_at, excluded.last_at)
      returning 1
    ),
    app_users as (
      -- New pairs only; newer times for known pairs are applied by raiseLatestTimes, which locks
      -- only the rows it changes (see there).
      insert into duo_application_users (tenant_id, application_key, user_id, last_success_at, last_at)
      select ${tenantId}, application_key, user_id, max(occurred_at) filter (where result = 'success'), max(occurred_at)
      from ins where user_id is not null and user_id <> '' and application_key is not null
      group by application_key, user_id
      on conflict (tenant_id, application_key, user_id) do nothing
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
      insert into duo_applications (tenant_id, application_key, name, last_used_at)
      select distinct on (application_key) ${tenantId}, application_key, application_name, occurred_at
      from ins where application_key is not null
      order by application_key, occurred_at desc
      on conflict (tenant_id, application_key) do nothing
      returning 1
    ),
    users as (
      -- Users seen in events before the roster knows them get a placeholder row (in_roster = false).
      insert into duo_users (tenant_id, user_id, username, status, in_roster, last_success_at, last_activity_at)
      select distinct on (ins.user_id) ${tenantId}, ins.user_id, coalesce(i."n", ins.user_id), 'unknown', false,
        max(ins.occurred_at) filter (where ins.result = 'success') over (partition by ins.user_id),
        max(ins.occurred_at) filter (where ins.result = 'success') over (partition by ins.user_id)
      from ins join input i on i."t" = ins.txid
      where ins.user_id is not null and ins.user_id <> ''
      on conflict (tenant_id, user_id) do nothing
      returning 1
    )
    select (select count(*) from ins)::int as inserted,
      (select min(occurred_at) from ins) as oldest_at,
      (select max(occurred_at) from ins) as newest_at,
      ${monthCountsOf(sql.raw('ins'))} as months
  `);
  } catch (error) {
    throw missingPartitionError(error, `tenant ${tenantId}'s authentication events`) ?? error;
  }
  const row = result[0];
  const inserted = row?.inserted ?? 0;
  await raiseLatestTimes(db, tenantId, events);
  await addToStreamCounters(db, tenantId, 'auth', { inserted, oldestAt: row?.oldest_at ?? null, newestAt: row?.newest_at ?? null, months: row?.months ?? [] });
  return {
    inserted,
    oldestAt: row?.oldest_at ? new Date(row.oldest_at) : null,
    newestAt: row?.newest_at ? new Date(row.newest_at) : null,
  };
}

/**
 * The "latest" columns shared by every page of a tenant (a user's last success, an application's
 * last use and name, a user's last use of an application) move forward here, in a statement of their
 * own after the page's inserts.
 *
 * Why not ON CONFLICT DO UPDATE in the page statement: that locks every conflicting row even when
 * its WHERE leaves the row unchanged, and the pages of concurrent backfill windows share most users
 * and every application, so each page waited for the others to commit (the benchmark saw half of
 * the writers waiting on row locks). A plain UPDATE locks only the rows whose value really grows,
 * which during a newest-first backfill is almost none. Running as a second statement also means it
 * sees rows another page inserted and committed meanwhile (the inserts above wait for those), so no
 * newer time is lost. Maxima are idempotent, so re-delivered events may take part.
 */
async function raiseLatestTimes(db: Queryable, tenantId: string, events: AuthEventRecord[]): Promise<void> {
  const page = JSON.stringify(
    events.map((e) => ({ u: e.userId || null, a: e.applicationKey, n: e.applicationName, t: e.occurredAt, s: e.result === 'success' })),
  );
  await db.execute(sql`
    with page as (
      select * from jsonb_to_recordset(${page}::jsonb) as x("u" text, "a" text, "n" text, "t" timestamptz, "s" boolean)
    ),
    user_latest as (
      select u, max(t) filter (where s) as success_at from page where u is not null group by u
    ),
    users as (
      update duo_users d set
        last_success_at = l.success_at,
        last_activity_at = greatest(d.last_activity_at, l.success_at)
      from user_latest l
      where d.tenant_id = ${tenantId} and d.user_id = l.u and l.success_at > coalesce(d.last_success_at, '-infinity')
      returning 1
    ),
    app_user_latest as (
      select a, u, max(t) filter (where s) as success_at, max(t) as at from page where u is not null and a is not null group by a, u
    ),
    app_users as (
      update duo_application_users d set
        last_success_at = greatest(d.last_success_at, l.success_at),
        last_at = greatest(d.last_at, l.at)
      from app_user_latest l
      where d.tenant_id = ${tenantId} and d.application_key = l.a and d.user_id = l.u
        and (l.at > d.last_at or l.success_at > coalesce(d.last_success_at, '-infinity'))
      returning 1
    ),
    app_latest as (
      select distinct on (a) a, n, t from page where a is not null order by a, t desc
    ),
    apps as (
      -- The name of the newest use wins: applications get renamed in Duo.
      update duo_applications d set name = coalesce(l.n, d.name), last_used_at = l.t
      from app_latest l
      where d.tenant_id = ${tenantId} and d.application_key = l.a and l.t > coalesce(d.last_used_at, '-infinity')
      returning 1
    )
    select 1 -- the updates above are the work; nothing to return
  `);
}
