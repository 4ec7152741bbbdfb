import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { streamCheckpoints } from './schema.js';

export type StreamCheckpoint = typeof streamCheckpoints.$inferSelect;

const where = (tenantId: string, stream: string) =>
  and(eq(streamCheckpoints.tenantId, tenantId), eq(streamCheckpoints.stream, stream));

/** A stored page ends any streak of malformed answers: a later one starts a new streak. */
const noMalformedStreak = { malformedStreak: 0, malformedAt: null };

export async function findStreamCheckpoint(db: Queryable, tenantId: string, stream: string): Promise<StreamCheckpoint | undefined> {
  const [row] = await db.select().from(streamCheckpoints).where(where(tenantId, stream));
  return row;
}

export async function listStreamCheckpoints(db: Queryable, tenantId: string): Promise<StreamCheckpoint[]> {
  return db.select().from(streamCheckpoints).where(eq(streamCheckpoints.tenantId, tenantId));
}

/** Creates the checkpoint of a stream the first time it is synced; an existing one is kept. */
export async function ensureStreamCheckpoint(db: Queryable, tenantId: string, stream: string, startMs: number): Promise<StreamCheckpoint> {
  await db.insert(streamCheckpoints).values({ tenantId, stream, syncedThroughMs: startMs }).onConflictDoNothing();
  const row = await findStreamCheckpoint(db, tenantId, stream);
  if (!row) throw new Error('stream checkpoint vanished');
  return row;
}

/**
 * Pins the end of the window an incremental run is paging through. A run that crashed mid-window
 * finds its pin and cursor again and finishes the same window, so pages never shift under a cursor.
 */
export async function pinIncrementalWindow(db: Queryable, tenantId: string, stream: string, windowEndMs: number): Promise<StreamCheckpoint> {
  await db
    .update(streamCheckpoints)
    .set({ windowEndMs, cursor: null, updatedAt: new Date() })
    .where(and(where(tenantId, stream), sql`${streamCheckpoints.windowEndMs} is null`));
  const row = await findStreamCheckpoint(db, tenantId, stream);
  if (!row) throw new Error('stream checkpoint vanished');
  return row;
}

/**
 * Saves an incremental page's cursor, in the transaction that stored its rows. The last page of a
 * window moves `syncedThroughMs` to the window's end and clears the pin.
 */
export async function advanceIncrementalWindow(db: Queryable, tenantId: string, stream: string, page: { cursor: string | null }): Promise<void> {
  await db
    .update(streamCheckpoints)
    .set(
      page.cursor === null
        ? { syncedThroughMs: sql`coalesce(${streamCheckpoints.windowEndMs}, ${streamCheckpoints.syncedThroughMs})`, windowEndMs: null, cursor: null, ...noMalformedStreak, updatedAt: new Date() }
        : { cursor: page.cursor, ...noMalformedStreak, updatedAt: new Date() },
    )
    .where(where(tenantId, stream));
}

/** For streams paged by mintime (administrator v1): the next mintime, in ms. */
export async function setSyncedThrough(db: Queryable, tenantId: string, stream: string, syncedThroughMs: number): Promise<void> {
  await db.update(streamCheckpoints).set({ syncedThroughMs, ...noMalformedStreak, updatedAt: new Date() }).where(where(tenantId, stream));
}

/**
 * Counts one more malformed Duo answer at `position` (where the failing request started) and
 * returns how many came in a row there. A different position starts over at 1. Committed on its
 * own: the attempt is failing, and the count must outlive it (and the run).
 */
export async function recordMalformedStreamPage(db: Queryable, tenantId: string, stream: string, position: string): Promise<number> {
  const [row] = await db
    .update(streamCheckpoints)
    .set({
      malformedStreak: sql`case when ${streamCheckpoints.malformedAt} = ${position} then ${streamCheckpoints.malformedStreak} + 1 else 1 end`,
      malformedAt: position,
      updatedAt: new Date(),
    })
    .where(where(tenantId, stream))
    .returning({ streak: streamCheckpoints.malformedStreak });
  return row?.streak ?? 1;
}

/** Rows a page added to one UTC month (`YYYY-MM-01`), and their time span. */
export interface MonthCount {
  month: string;
  events: number;
  oldestAt: string;
  newestAt: string;
}

/** In a page's statement: the MonthCount[] of the rows of `inserted` (a CTE returning occurred_at), as JSON. */
export const monthCountsOf = (inserted: SQL) => sql`(select json_agg(m) from (
  select to_char(date_trunc('month', occurred_at at time zone 'UTC'), 'YYYY-MM-DD') as month, count(*)::int as events,
    min(occurred_at) as "oldestAt", max(occurred_at) as "newestAt"
  from ${inserted} group by 1) m)`;

/**
 * Ingest-maintained counters, folded in the transaction that stored the rows: the stream's totals,
 * and per month, what retention subtracts when it drops that month (db/event-retention.ts).
 * Concurrent pages of a tenant wait for each other here, at the end of their transactions.
 */
export async function addToStreamCounters(
  db: Queryable,
  tenantId: string,
  stream: string,
  page: { inserted: number; oldestAt: string | null; newestAt: string | null; months: MonthCount[] },
): Promise<void> {
  if (page.inserted === 0) return;
  await db.execute(sql`
    with months as (
      insert into duo_event_months as m (tenant_id, stream, month, events, oldest_at, newest_at)
      select ${tenantId}, ${stream}, x."month", x."events", x."oldestAt", x."newestAt"
      from jsonb_to_recordset(${JSON.stringify(page.months)}::jsonb) as x("month" date, "events" bigint, "oldestAt" timestamptz, "newestAt" timestamptz)
      on conflict (tenant_id, stream, month) do update set
        events = m.events + excluded.events,
        oldest_at = least(m.oldest_at, excluded.oldest_at),
        newest_at = greatest(m.newest_at, excluded.newest_at)
      returning 1
    )
    insert into stream_checkpoints as c (tenant_id, stream, synced_through_ms, event_count, oldest_event_at, newest_event_at)
    values (${tenantId}, ${stream}, 0, ${page.inserted}, ${page.oldestAt}::timestamptz, ${page.newestAt}::timestamptz)
    on conflict (tenant_id, stream) do update set
      event_count = c.event_count + excluded.event_count,
      oldest_event_at = least(c.oldest_event_at, excluded.oldest_event_at),
      newest_event_at = greatest(c.newest_event_at, excluded.newest_event_at),
      updated_at = now()`);
}

/** Records whether a stream is switched on (the retention alarm only watches enabled streams). */
export async function setStreamEnabled(db: Queryable, tenantId: string, stream: string, enabled: boolean, startMs: number): Promise<void> {
  await db
    .insert(streamCheckpoints)
    .values({ tenantId, stream, syncedThroughMs: startMs, enabled })
    .onConflictDoUpdate({ target: [streamCheckpoints.tenantId, streamCheckpoints.stream], set: { enabled, updatedAt: new Date() } });
}

export interface RetentionRisk {
  tenantId: string;
  streams: string[];
  oldestSyncedThroughMs: number;
  alarmAt: Date | null;
}

/**
 * Connected tenants with an enabled stream whose checkpoint is older than `ageMs`, plus tenants whose
 * alarm is set but no longer at risk (`streams` empty), so the caller can raise or clear alarms.
 */
export async function findRetentionRisks(db: Queryable, nowMs: number, ageMs: number): Promise<RetentionRisk[]> {
  const rows = await db.execute<{ tenant_id: string; streams: string[] | null; oldest: number | null; alarm_at: string | null }>(sql`
    select i.tenant_id, i.retention_alarm_at as alarm_at,
      array_agg(c.stream order by c.stream) filter (where c.stream is not null) as streams,
      min(c.synced_through_ms) as oldest
    from duo_integrations i
    left join stream_checkpoints c on c.tenant_id = i.tenant_id and c.enabled and c.synced_through_ms < ${nowMs - ageMs}
    where i.status not in ('disconnected', 'purging')
    group by i.tenant_id, i.retention_alarm_at
    having count(c.stream) > 0 or i.retention_alarm_at is not null`);
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    streams: r.streams ?? [],
    oldestSyncedThroughMs: Number(r.oldest ?? nowMs),
    alarmAt: r.alarm_at ? new Date(r.alarm_at) : null,
  }));
}
