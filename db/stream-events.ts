import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import type { OptionalStream } from './optional-streams.js';
import type { EventRange } from './usage-events.js';
import { isoInstant } from './usage-periods.js';

/** Where a page of stream events ends: the last event's instant (ISO, microseconds) and its key. */
export interface StreamKeyset {
  occurredAt: string;
  id: string;
}

export interface StreamEvent {
  /** Duo's id (telephony_id, activity_id); for administrator rows, which have none, a SHA-256 of the row. */
  id: string;
  occurredAt: string;
  /** Duo's event exactly as received. */
  event: Record<string, unknown>;
}

export interface StreamEventPage {
  events: StreamEvent[];
  next: StreamKeyset | null;
}

const tables: Record<OptionalStream, { table: ReturnType<typeof sql.raw>; key: ReturnType<typeof sql.raw> }> = {
  telephony: { table: sql.raw('duo_telephony_events'), key: sql.raw('telephony_id') },
  activity: { table: sql.raw('duo_activity_events'), key: sql.raw('activity_id') },
  administrator: { table: sql.raw('duo_admin_events'), key: sql.raw('row_hash') },
};

/**
 * One optional stream's events of a tenant, newest first, through the table's primary key
 * (tenant_id, occurred_at, id): a page is one index range scan per month partition the range spans.
 * Ties on the instant are broken by the key, so the order and the keyset are total. These streams
 * keep Duo's row as JSON (only authentication events are stored compressed, db/event-codec.ts).
 */
export async function listStreamEvents(
  db: Queryable,
  tenantId: string,
  stream: OptionalStream,
  range: EventRange,
  page: { limit: number; after?: StreamKeyset },
): Promise<StreamEventPage> {
  const { table, key } = tables[stream];
  const rows = await db.execute<{ id: string; occurred_at: string; raw: Record<string, unknown> }>(sql`
    select e.${key} as id, ${isoInstant(sql`e.occurred_at`)} as occurred_at, e.raw
    from ${table} e
    where e.tenant_id = ${tenantId}
      ${range.from === undefined ? sql`` : sql`and e.occurred_at >= ${range.from}::timestamptz`}
      ${range.to === undefined ? sql`` : sql`and e.occurred_at < ${range.to}::timestamptz`}
      ${page.after === undefined ? sql`` : sql`and (e.occurred_at, e.${key}) < (${page.after.occurredAt}::timestamptz, ${page.after.id}::text)`}
    order by e.occurred_at desc, e.${key} desc
    limit ${page.limit + 1}`);
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : [...rows];
  const last = kept[kept.length - 1];
  return {
    events: kept.map((r) => ({ id: r.id, occurredAt: r.occurred_at, event: r.raw })),
    next: more && last ? { occurredAt: last.occurred_at, id: last.id } : null,
  };
}
