import { sql } from 'drizzle-orm';
import { authEventFields } from './auth-event-fields.js';
import type { Queryable } from './client.js';
import { decodeAuthEvent } from './event-codec.js';
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
  /** Duo's event exactly as received; only when asked for. */
  raw?: Record<string, unknown>;
}

export interface UserEventPage {
  events: UserEvent[];
  next: EventKeyset | null;
}

type EventRow = {
  txid: string;
  occurred_at: string;
  raw: Buffer;
};

export interface EventRange {
  /** Inclusive lower bound, ISO. */
  from?: string;
  /** Exclusive upper bound, ISO. */
  to?: string;
}

/**
 * One user's authentication events, newest first, read through the (tenant_id, user_id, occurred_at)
 * index: a page costs one index range scan, however many events the tenant holds (one per month
 * partition the range spans). Ties on the instant are broken by txid so the order, and therefore
 * the keyset, is total. Everything but the instant is read from the stored raw event.
 */
export async function listUserEvents(
  db: Queryable,
  tenantId: string,
  userId: string,
  range: EventRange,
  page: { limit: number; after?: EventKeyset; includeRaw?: boolean },
): Promise<UserEventPage> {
  const rows = await db.execute<EventRow>(sql`
    select e.txid, ${isoInstant(sql`e.occurred_at`)} as occurred_at, e.raw
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
    events: kept.map((r) => {
      const raw = decodeAuthEvent(r.raw, r.txid);
      const f = authEventFields(raw);
      return {
        txid: r.txid,
        occurredAt: r.occurred_at,
        result: f.result,
        reason: f.reason,
        factor: f.factor,
        eventType: f.eventType,
        application: { key: f.applicationKey, name: f.applicationName },
        access: { ip: f.accessIp, city: f.accessCity, state: f.accessState, country: f.accessCountry },
        ...(page.includeRaw ? { raw } : {}),
      };
    }),
    next: more && last ? { occurredAt: last.occurred_at, txid: last.txid } : null,
  };
}
