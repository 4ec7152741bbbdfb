import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { missingPartitionError } from './event-partitions.js';
import { addToStreamCounters, monthCountsOf, type MonthCount } from './stream-checkpoints.js';

export type OptionalStream = 'telephony' | 'activity' | 'administrator';

/** One row of an optional stream: its natural key (Duo id, or a row hash for administrator logs). */
export interface StreamEventRecord {
  id: string;
  occurredAt: string;
  raw: unknown;
}

const tables = {
  telephony: { table: sql.raw('duo_telephony_events'), key: sql.raw('telephony_id') },
  activity: { table: sql.raw('duo_activity_events'), key: sql.raw('activity_id') },
  administrator: { table: sql.raw('duo_admin_events'), key: sql.raw('row_hash') },
} as const;

/**
 * Stores a page of an optional stream idempotently and counts only new rows. As for authentication
 * events, ensureEventPartitions must have covered the page's months.
 */
export async function storeStreamEvents(db: Queryable, tenantId: string, stream: OptionalStream, records: StreamEventRecord[]): Promise<number> {
  if (records.length === 0) return 0;
  const { table, key } = tables[stream];
  let result;
  try {
    result = await db.execute<{ inserted: number; oldest_at: string | null; newest_at: string | null; months: MonthCount[] | null }>(sql`
    with ins as (
      insert into ${table} (tenant_id, ${key}, occurred_at, raw)
      select distinct on (x."id") ${tenantId}, x."id", x."occurredAt", x."raw"
      from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as x("id" text, "occurredAt" timestamptz, "raw" jsonb)
      on conflict do nothing
      returning occurred_at)
    select count(*)::int as inserted, min(occurred_at) as oldest_at, max(occurred_at) as newest_at,
      ${monthCountsOf(sql.raw('ins'))} as months
    from ins`);
  } catch (error) {
    throw missingPartitionError(error, `tenant ${tenantId}'s ${stream} events`) ?? error;
  }
  const row = result[0];
  const inserted = row?.inserted ?? 0;
  await addToStreamCounters(db, tenantId, stream, { inserted, oldestAt: row?.oldest_at ?? null, newestAt: row?.newest_at ?? null, months: row?.months ?? [] });
  return inserted;
}
