import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { tenantDataTables } from './integrations.js';
import { eventTables, forgetKnownPartitions, type EventPartition, type EventTable } from './event-partitions.js';

/**
 * Deleting stored events and rollups, always in bounded pieces: a whole month's partition at once
 * (detached, then dropped: no row is visited), or rows in batches of at most `limit` per
 * transaction. Every deletion keeps the ingest-maintained counters exact (stream_checkpoints,
 * duo_event_months), so the status document and the rollup check stay right without a count(*).
 */

/** The natural key column of each event table (the rest of the key is tenant_id, occurred_at). */
const keyColumns: Record<EventTable, string> = {
  duo_auth_events: 'txid',
  duo_telephony_events: 'telephony_id',
  duo_activity_events: 'activity_id',
  duo_admin_events: 'row_hash',
};

const streamOf = (table: EventTable): string => eventTables.find((t) => t.table === table)?.stream ?? table;

/**
 * Drops one month's partition: DETACH … CONCURRENTLY (readers and writers of the table are not
 * blocked; an interrupted one is finished), then, in one transaction, the table itself and what the
 * month held for each tenant is subtracted from the stream counters. Safe to run again after a crash
 * at any point, and from two workers at once (the second finds nothing to do).
 */
export async function dropEventPartition(db: Queryable, partition: EventPartition): Promise<{ tenants: number }> {
  const parent = sql.identifier(partition.table);
  const table = sql.identifier(partition.partition);
  if (partition.state === 'attached') await ignoreGone(db.execute(sql`alter table ${parent} detach partition ${table} concurrently`));
  if (partition.state === 'detaching') await ignoreGone(db.execute(sql`alter table ${parent} detach partition ${table} finalize`));
  forgetKnownPartitions(db);
  const tenants = await transaction(db, async (tx) => {
    const [exists] = await tx.execute<{ found: boolean }>(sql`select to_regclass(${partition.partition}) is not null as found`);
    if (!exists?.found) return 0;
    await tx.execute(sql`drop table ${table}`);
    const rows = await tx.execute<{ tenant_id: string }>(sql`
      with gone as (
        delete from duo_event_months where stream = ${partition.stream} and month = ${partition.month}::date
        returning tenant_id, events
      )
      update stream_checkpoints c set
        event_count = greatest(0, c.event_count - g.events),
        oldest_event_at = (select min(m.oldest_at) from duo_event_months m
          where m.tenant_id = c.tenant_id and m.stream = c.stream and m.month > ${partition.month}::date),
        newest_event_at = case when c.event_count - g.events > 0 then c.newest_event_at end,
        updated_at = now()
      from gone g
      where c.tenant_id = g.tenant_id and c.stream = ${partition.stream}
      returning c.tenant_id`);
    return rows.length;
  });
  return { tenants };
}

/**
 * Which of a tenant's events a batch deletes. A person (`userId`) is identifiable in authentication
 * events by user id, in activity events as actor or target (key = user id), in administrator events
 * as the object of a user action (its username) and in telephony events by one of their phone numbers.
 */
export type EventSelection =
  | { tenantId: string; before: string }
  | { tenantId: string; userId: string; username?: string | null; phones?: readonly string[] }
  | { tenantId: string; all: true };

/** The person's rows in `table`, or null when that table cannot name them (nothing to delete). */
function personFilter(table: EventTable, person: { userId: string; username?: string | null; phones?: readonly string[] }): SQL | null {
  switch (table) {
    case 'duo_auth_events':
      return sql`user_id = ${person.userId}`;
    case 'duo_activity_events':
      return sql`(raw -> 'actor' ->> 'key' = ${person.userId} or raw -> 'target' ->> 'key' = ${person.userId})`;
    case 'duo_admin_events':
      return person.username ? sql`(raw ->> 'action' like 'user\_%' and raw ->> 'object' = ${person.username})` : null;
    case 'duo_telephony_events':
      return person.phones && person.phones.length > 0 ? sql`raw ->> 'phone' in (${sql.join(person.phones.map((phone) => sql`${phone}`), sql`, `)})` : null;
  }
}

/**
 * Deletes up to `limit` of the selected events of one table, oldest first, in one transaction with
 * the counters they were counted in; returns how many. Call again until it returns less than
 * `limit`. A person's events in the optional streams are found by scanning the tenant's rows of
 * that stream (no index names them): these streams are small next to authentication logs.
 */
export async function deleteEventsBatch(db: Queryable, table: EventTable, selection: EventSelection, limit: number): Promise<number> {
  const key = sql.identifier(keyColumns[table]);
  const target = sql.identifier(table);
  const stream = streamOf(table);
  const { tenantId } = selection;
  const person = 'userId' in selection ? personFilter(table, selection) : undefined;
  if (person === null) return 0;
  const where =
    'before' in selection
      ? sql`tenant_id = ${tenantId} and occurred_at < ${selection.before}::timestamptz`
      : person
        ? sql`tenant_id = ${tenantId} and ${person}`
        : sql`tenant_id = ${tenantId}`;
  return transaction(db, async (tx) => {
    const [row] = await tx.execute<{ deleted: number; months: string[] | null }>(sql`
      with doomed as (
        select occurred_at, ${key} as id from ${target} where ${where} order by occurred_at limit ${limit}
      ),
      del as (
        delete from ${target} e using doomed d
        where e.tenant_id = ${tenantId} and e.occurred_at = d.occurred_at and e.${key} = d.id
        returning e.occurred_at
      ),
      per_month as (
        select date_trunc('month', occurred_at at time zone 'UTC')::date as month, count(*) as n from del group by 1
      ),
      months as (
        update duo_event_months m set events = m.events - p.n
        from per_month p where m.tenant_id = ${tenantId} and m.stream = ${stream} and m.month = p.month
        returning m.month
      )
      select (select count(*) from del)::int as deleted, (select array_agg(to_char(month, 'YYYY-MM-DD')) from months) as months`);
    const deleted = row?.deleted ?? 0;
    if (deleted === 0) return 0;
    // The months touched get their true bounds again (or go, once empty), read through the
    // (tenant_id, occurred_at, …) key: one short index range per month.
    await tx.execute(sql`delete from duo_event_months where tenant_id = ${tenantId} and stream = ${stream} and events <= 0`);
    await tx.execute(sql`
      update duo_event_months m set
        oldest_at = b.oldest_at, newest_at = b.newest_at
      from (
        select mm.month,
          (select min(occurred_at) from ${target} e where e.tenant_id = ${tenantId}
            and e.occurred_at >= (mm.month::timestamp at time zone 'UTC') and e.occurred_at < ((mm.month + interval '1 month')::timestamp at time zone 'UTC')) as oldest_at,
          (select max(occurred_at) from ${target} e where e.tenant_id = ${tenantId}
            and e.occurred_at >= (mm.month::timestamp at time zone 'UTC') and e.occurred_at < ((mm.month + interval '1 month')::timestamp at time zone 'UTC')) as newest_at
        from duo_event_months mm
        where mm.tenant_id = ${tenantId} and mm.stream = ${stream} and mm.month = any(string_to_array(${(row?.months ?? []).join(',')}, ',')::date[])
      ) b
      where m.tenant_id = ${tenantId} and m.stream = ${stream} and m.month = b.month and b.oldest_at is not null`);
    await tx.execute(sql`
      update stream_checkpoints c set
        event_count = greatest(0, c.event_count - ${deleted}),
        oldest_event_at = (select min(oldest_at) from duo_event_months m where m.tenant_id = c.tenant_id and m.stream = c.stream),
        newest_event_at = (select max(newest_at) from duo_event_months m where m.tenant_id = c.tenant_id and m.stream = c.stream),
        updated_at = now()
      where c.tenant_id = ${tenantId} and c.stream = ${stream}`);
    return deleted;
  });
}

/**
 * Deletes up to `limit` rows of each daily rollup older than `beforeDay` (`YYYY-MM-DD`) for the
 * tenant; returns how many in all (call again until it returns 0). The all-time rollups (a user's
 * or an application's latest times, an application's users) are kept: they hold no per-day detail.
 */
export async function deleteRollupsBatch(db: Queryable, tenantId: string, beforeDay: string, limit: number): Promise<number> {
  const [row] = await db.execute<{ deleted: number }>(sql`
    with users as (
      delete from duo_user_daily_activity where ctid in (
        select ctid from duo_user_daily_activity where tenant_id = ${tenantId} and day < ${beforeDay}::date limit ${limit})
      returning 1
    ),
    apps as (
      delete from duo_application_daily_activity where ctid in (
        select ctid from duo_application_daily_activity where tenant_id = ${tenantId} and day < ${beforeDay}::date limit ${limit})
      returning 1
    ),
    totals as (
      delete from duo_application_daily_totals where ctid in (
        select ctid from duo_application_daily_totals where tenant_id = ${tenantId} and day < ${beforeDay}::date limit ${limit})
      returning 1
    )
    select ((select count(*) from users) + (select count(*) from apps) + (select count(*) from totals))::int as deleted`);
  return row?.deleted ?? 0;
}

/**
 * Deletes up to `limit` of one user's per-day rollup rows and their share of the application
 * totals, and the user's per-application rows; returns how many rows went (call again until 0).
 * With the user's events deleted too (deleteEventsBatch with `userId`), the tenant's rollups equal
 * what its remaining events add up to.
 */
export async function deleteUserRollupsBatch(db: Queryable, tenantId: string, userId: string, limit: number): Promise<number> {
  return transaction(db, async (tx) => {
    const [row] = await tx.execute<{ deleted: number }>(sql`
      with app_days as (
        delete from duo_application_daily_activity where ctid in (
          select ctid from duo_application_daily_activity where tenant_id = ${tenantId} and user_id = ${userId} limit ${limit})
        returning application_key, day, auth_count, success_count, denied_count, fraud_count
      ),
      per_app_day as (
        select application_key, day, sum(auth_count) as a, sum(success_count) as s, sum(denied_count) as d, sum(fraud_count) as f
        from app_days group by 1, 2
      ),
      totals as (
        update duo_application_daily_totals t set
          auth_count = t.auth_count - p.a, success_count = t.success_count - p.s,
          denied_count = t.denied_count - p.d, fraud_count = t.fraud_count - p.f
        from per_app_day p
        where t.tenant_id = ${tenantId} and t.application_key = p.application_key and t.day = p.day
        returning 1
      ),
      user_days as (
        delete from duo_user_daily_activity where ctid in (
          select ctid from duo_user_daily_activity where tenant_id = ${tenantId} and user_id = ${userId} limit ${limit})
        returning 1
      ),
      app_users as (
        delete from duo_application_users where tenant_id = ${tenantId} and user_id = ${userId}
        returning 1
      )
      select ((select count(*) from app_days) + (select count(*) from user_days) + (select count(*) from app_users))::int as deleted`);
    // A day no one else used the application on is no longer a day of it.
    await tx.execute(sql`delete from duo_application_daily_totals where tenant_id = ${tenantId} and auth_count <= 0`);
    return row?.deleted ?? 0;
  });
}

/**
 * After a user's events are deleted: the user's latest times no longer come from any event (what
 * Duo reports, last_login, stays), and each application's last use and name are those of its newest
 * remaining event (read newest first through the time-ordered key, so usually a few index entries).
 */
export async function refreshLatestAfterUserErasure(db: Queryable, tenantId: string, userId: string): Promise<void> {
  await db.execute(sql`
    update duo_users set last_success_at = null, last_activity_at = last_login_at
    where tenant_id = ${tenantId} and user_id = ${userId}`);
  await db.execute(sql`
    update duo_applications a set
      last_used_at = (select max(e.occurred_at) from (
        select occurred_at from duo_auth_events where tenant_id = ${tenantId} and application_key = a.application_key
        order by occurred_at desc limit 1) e),
      name = (select e.application_name from duo_auth_events e
        where e.tenant_id = ${tenantId} and e.application_key = a.application_key and e.application_name is not null
        order by e.occurred_at desc limit 1)
    where a.tenant_id = ${tenantId}`);
  await db.execute(sql`delete from duo_applications where tenant_id = ${tenantId} and last_used_at is null`);
}

/**
 * A person's stored data other than events and rollups: their group memberships and their user row
 * (name, email, phones, Duo's raw record). Returns how many rows went. If they are still in Duo's
 * roster, the next roster refresh stores them again, without any of their past events.
 */
export async function deleteUserRows(db: Queryable, tenantId: string, userId: string): Promise<number> {
  const [row] = await db.execute<{ deleted: number }>(sql`
    with memberships as (delete from duo_user_groups where tenant_id = ${tenantId} and user_id = ${userId} returning 1),
    users as (delete from duo_users where tenant_id = ${tenantId} and user_id = ${userId} returning 1)
    select ((select count(*) from memberships) + (select count(*) from users))::int as deleted`);
  return row?.deleted ?? 0;
}

/**
 * Remembers that a person was erased (now, or the first time): their authentication events up to
 * then are refused at ingest from here on (storeAuthEvents), so re-reading Duo cannot bring them back.
 */
export async function recordUserErasure(db: Queryable, tenantId: string, userId: string): Promise<Date> {
  const [row] = await db.execute<{ erased_at: string }>(sql`
    insert into duo_user_erasures (tenant_id, user_id) values (${tenantId}, ${userId})
    on conflict (tenant_id, user_id) do update set erased_at = greatest(duo_user_erasures.erased_at, excluded.erased_at)
    returning erased_at`);
  return new Date(row?.erased_at ?? Date.now());
}

/** What identifies a person in the optional streams: their username and phone numbers, from their user row. */
export async function findPersonKeys(db: Queryable, tenantId: string, userId: string): Promise<{ username: string | null; phones: string[] }> {
  const [row] = await db.execute<{ username: string | null; phones: string[] | null }>(sql`
    select username, (select array_agg(p ->> 'number') from jsonb_array_elements(coalesce(raw -> 'phones', '[]'::jsonb)) p
      where coalesce(p ->> 'number', '') <> '') as phones
    from duo_users where tenant_id = ${tenantId} and user_id = ${userId}`);
  return { username: row?.username ?? null, phones: row?.phones ?? [] };
}

/**
 * One bounded step of deleting everything synced for a tenant (the tables purgeTenantData empties,
 * children first): up to `limit` rows of the first table that still has some. Returns the table and
 * how many rows went, or null once nothing is left. Each step is its own transaction, so a purge can
 * stop and resume anywhere.
 */
export async function purgeTenantDataBatch(db: Queryable, tenantId: string, limit: number): Promise<{ table: string; deleted: number } | null> {
  for (const table of tenantDataTables) {
    const deleted = isEventTable(table)
      ? await deleteEventsBatch(db, table, { tenantId, all: true }, limit)
      : await deleteRows(db, table, tenantId, limit);
    if (deleted > 0) return { table, deleted };
  }
  return null;
}

async function deleteRows(db: Queryable, table: string, tenantId: string, limit: number): Promise<number> {
  const target = sql.identifier(table);
  const [row] = await db.execute<{ deleted: number }>(sql`
    with del as (
      delete from ${target} where ctid in (select ctid from ${target} where tenant_id = ${tenantId} limit ${limit}) returning 1
    )
    select count(*)::int as deleted from del`);
  return row?.deleted ?? 0;
}

const isEventTable = (table: string): table is EventTable => eventTables.some((t) => t.table === table);

async function transaction<T>(db: Queryable, work: (tx: Queryable) => Promise<T>): Promise<T> {
  // A Transaction handle runs the work inside the caller's transaction (a savepoint).
  return db.transaction((tx) => work(tx));
}

/** A partition another worker already detached or dropped is not an error here. */
async function ignoreGone(statement: Promise<unknown>): Promise<void> {
  try {
    await statement;
  } catch (error) {
    const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
    // 42P01 no such table, 42P16 not a partition / not pending detach (another worker was first).
    if (code !== '42P01' && code !== '42P16' && code !== '55000') throw error;
  }
}
