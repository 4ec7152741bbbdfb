import { sql, type SQL } from 'drizzle-orm';

const DAY_MS = 86_400_000;

/** The windows every per-user and per-application count is reported for. */
export const COUNT_WINDOWS_DAYS = [30, 60, 90] as const;

/**
 * "Within N days" as the queries use it. Activity (`duo_users.last_activity_at`) is compared with
 * the exact instant now − N days. Counts come from daily rollups, which cannot split a day, so they
 * cover whole UTC days from the day holding that instant through today: at most one day more.
 */
export interface Period {
  days: number;
  /** now − days, ISO. */
  since: string;
  /** UTC date (YYYY-MM-DD) of `since`: the first rollup day counted. */
  sinceDay: string;
}

export function periodOf(nowMs: number, days: number): Period {
  const since = new Date(nowMs - days * DAY_MS).toISOString();
  return { days, since, sinceDay: since.slice(0, 10) };
}

/** The 30/60/90-day periods, oldest last. */
export function countPeriods(nowMs: number): { d30: Period; d60: Period; d90: Period } {
  return { d30: periodOf(nowMs, 30), d60: periodOf(nowMs, 60), d90: periodOf(nowMs, 90) };
}

/**
 * An instant column as ISO 8601 UTC with microseconds (Duo's isotimestamp precision), or null.
 * Formatted in SQL because the driver hands timestamps over as text in the session's style.
 */
export function isoInstant(column: SQL): SQL<string | null> {
  return sql<string | null>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}
