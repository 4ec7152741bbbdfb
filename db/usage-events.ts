import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { isoInstant } from './usage-periods.js';

/** Where a page of events ends: the last event's instant (ISO, microseconds) and txid. */
export interface EventKeyset {
  occurredAt: string;
  txid: string;
}

export interface UserEvent {
  txid: string;
  occurredAt: string;
  result: string | null;
  reason: string | null;
  factor: string | null;
  eventType: string | null;
  application: { key: string | null; name: string | null };
  access: { ip: string | null; city: string | null; state: string | null; country: string | null };
}

export interface UserEventPage {
  events: UserEvent[];
  next: EventKeyset | null;
}

type EventRow = {
  txid: string;
  occurred_at: string;
  result: string | null;
  reason: string | null;
  factor: string | null;
  event_type: string | null;
  application_key: string | null;
  application_name: string | null;
  access_ip: string | null;
  access_city: string | null;
  access_state: string | null;
  access_country: string | null;
};

export interface EventRange {
  /** Inclusive lower bound, ISO. */
  from?: string;
  /** Exclusive upper bound, ISO. */
  to?: string;
}

/**
 * One user's authentication events, newest first, read through the (tenant_id, user_id, occurred_at)
 * index: a page costs one index range scan, however many events the tenant holds. Ties on the
 * instant are broken by txid so the order, and therefore the keyset, is total.
 */
export async function listUserEvents(
  db: Queryable,
  tenantId: string,
  userId: string,
  range: EventRange,
  page: { limit: number; after?: EventKeyset },
): Promise<UserEventPage> {
  const rows = await db.execute<EventRow>(sql`
    select e.txid, ${isoInstant(sql`e.occurred_at`)} as occurred_at, e.result, e.reason, e.factor, e.event_type,
      e.application_key, e.application_name, e.access_ip, e.access_city, e.access_state, e.access_country
    from duo_auth_events e
    where e.tenant_id = ${tenantId} and e.user_id = ${userId}
      ${range.from === undefined ? sql`` : sql`and e.occurred_at >= ${range.from}::timestamptz`}
      ${range.to === undefined ? sql`` : sql`and e.occurred_at < ${range.to}::timestamptz`}
      ${page.after === undefined ? sql`` : sql`and (e.occurred_at, e.txid) < (${page.after.occurredAt}::timestamptz, ${page.after.txid}::text)`}
    order by e.occurred_at desc, e.txid desc
    limit ${page.limit + 1}`);
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : [...rows];
  const last = kept[kept.length - 1];
  return {
    events: kept.map((r) => ({
      txid: r.txid,
      occurredAt: r.occurred_at,
      result: r.result,
      reason: r.reason,
      factor: r.factor,
      eventType: r.event_type,
      application: { key: r.application_key, name: r.application_name },
      access: { ip: r.access_ip, city: r.access_city, state: r.access_state, country: r.access_country },
    })),
    next: more && last ? { occurredAt: last.occurred_at, txid: last.txid } : null,
  };
}
