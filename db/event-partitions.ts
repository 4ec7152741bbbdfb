import { sql } from 'drizzle-orm';
import { AppError } from '../errors/app-error.js';
import type { Queryable } from './client.js';

/**
 * Monthly partitions of the event tables (range on occurred_at, UTC months). They are created ahead
 * by the worker (at start and in its periodic pass) and by the sync activities before they store a
 * window, never by an API request; duo_ensure_event_partition (migration 0004) does the DDL. There is
 * no default partition: a row of a month without one fails with EVENT_PARTITION_MISSING rather
 * than landing in a catch-all that would have to be scanned (and emptied) before that month's
 * partition could ever be attached.
 */

/** Every partitioned event table and the stream whose rows it holds. */
export const eventTables = [
  { table: 'duo_auth_events', stream: 'auth' },
  { table: 'duo_telephony_events', stream: 'telephony' },
  { table: 'duo_activity_events', stream: 'activity' },
  { table: 'duo_admin_events', stream: 'administrator' },
] as const;

export type EventTable = (typeof eventTables)[number]['table'];

/** Months created ahead of the current one by the worker's pass. */
export const MONTHS_AHEAD = 3;

const MONTH_MS_MAX = 31 * 86_400_000;

/** First instant (ms) of the UTC month containing `ms`. */
export function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** `YYYY-MM-01` of each UTC month from the one containing `fromMs` to the one containing `toMs`. */
export function monthsBetween(fromMs: number, toMs: number): string[] {
  const months: string[] = [];
  for (let m = monthStart(fromMs); m <= toMs; m = monthStart(m + MONTH_MS_MAX)) months.push(new Date(m).toISOString().slice(0, 10));
  return months;
}

/** Partitions this process has seen exist, per database handle: checking again costs a round trip per page. */
const known = new WeakMap<Queryable, Set<string>>();

/**
 * Makes sure every event table has a partition for each UTC month from `fromMs` to `toMs`; returns
 * the partitions it created. Each runs in its own statement, so the parent's lock is held only for
 * the moment of the attach. Months this process already saw are skipped unless `recheck` (the
 * worker's periodic pass rechecks, so even a partition dropped by hand comes back).
 */
export async function ensureEventPartitions(
  db: Queryable,
  fromMs: number,
  toMs: number,
  tables: readonly EventTable[] = eventTables.map((t) => t.table),
  options: { recheck?: boolean } = {},
): Promise<string[]> {
  const created: string[] = [];
  let seen = known.get(db);
  if (!seen) known.set(db, (seen = new Set()));
  for (const month of monthsBetween(fromMs, toMs)) {
    for (const table of tables) {
      const name = `${table}_${month.slice(0, 7).replace('-', '_')}`;
      if (seen.has(name) && !options.recheck) continue;
      const [row] = await db.execute<{ created: boolean }>(sql`select duo_ensure_event_partition(${table}::regclass, ${month}::date) as created`);
      if (row?.created) created.push(name);
      seen.add(name);
    }
  }
  return created;
}

/** What ensureEventPartitions remembers about `db` is forgotten (a partition of it was dropped). */
export function forgetKnownPartitions(db: Queryable): void {
  known.delete(db);
}

/** A month's partition of an event table, attached or on its way out. */
export interface EventPartition {
  table: EventTable;
  stream: string;
  partition: string;
  /** `YYYY-MM-01`. */
  month: string;
  /** attached; detaching (a DETACH … CONCURRENTLY was interrupted); detached (not yet dropped). */
  state: 'attached' | 'detaching' | 'detached';
}

/** Every partition of the event tables, by the names duo_ensure_event_partition gives them, oldest month first. */
export async function listEventPartitions(db: Queryable): Promise<EventPartition[]> {
  const rows = await db.execute<{ name: string; detach_pending: boolean | null; attached: boolean }>(sql`
    select c.relname as name, i.inhdetachpending as detach_pending, i.inhrelid is not null as attached
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema()
    left join pg_inherits i on i.inhrelid = c.oid
    where c.relkind = 'r' and c.relname ~ '^duo_(auth|telephony|activity|admin)_events_[0-9]{4}_[0-9]{2}$'`);
  const partitions: EventPartition[] = [];
  for (const row of rows) {
    const spec = eventTables.find((t) => row.name.startsWith(`${t.table}_`));
    if (!spec) continue;
    const [year, month] = row.name.slice(spec.table.length + 1).split('_');
    partitions.push({
      ...spec,
      partition: row.name,
      month: `${year}-${month}-01`,
      state: !row.attached ? 'detached' : row.detach_pending ? 'detaching' : 'attached',
    });
  }
  return partitions.sort((a, b) => a.month.localeCompare(b.month) || a.table.localeCompare(b.table));
}

/** Rows Duo can send: its 180 days of logs, a month of margin either way for clocks and month edges. */
const PAGE_PAST_MS = (180 + 31) * 86_400_000;
const PAGE_FUTURE_MS = 31 * 86_400_000;

/**
 * Before a page is stored: the partitions of the months its rows fall in (usually known already, so
 * no round trip). Instants Duo cannot send (beyond its 180 days, or in the future) get none, so such
 * a row fails with EVENT_PARTITION_MISSING instead of creating a partition for it.
 */
export async function ensurePartitionsForRows(db: Queryable, table: EventTable, instants: readonly string[], nowMs = Date.now()): Promise<void> {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const instant of instants) {
    const ms = Date.parse(instant);
    if (!Number.isFinite(ms) || ms < nowMs - PAGE_PAST_MS || ms > nowMs + PAGE_FUTURE_MS) continue;
    if (ms < min) min = ms;
    if (ms > max) max = ms;
  }
  if (min <= max) await ensureEventPartitions(db, min, max, [table]);
}

/**
 * The typed error for a row whose month has no partition, from the error Postgres raises (23514,
 * "no partition of relation … found for row"). Retryable: the retry's activity creates what it needs.
 */
export function missingPartitionError(error: unknown, what: string): AppError | undefined {
  const pg = postgresError(error);
  if (pg?.code !== '23514' || !/no partition of relation/.test(pg.message ?? '')) return undefined;
  return new AppError('EVENT_PARTITION_MISSING', `No partition for a row of ${what}: ${pg.message ?? ''}`, {
    cause: error,
    details: { detail: pg.detail },
  });
}

function postgresError(error: unknown): { code?: string; message?: string; detail?: string } | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof (e as { code?: unknown }).code === 'string') return e as { code?: string; message?: string; detail?: string };
  }
  return undefined;
}
