import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { periodOf } from './usage-periods.js';
import { userFilterSql } from './usage-user-filter.js';

export interface ThresholdCounts {
  days: number;
  /** Users whose last activity is within the last `days` days. */
  active: number;
  inactive: number;
}

export interface UsageTotals {
  users: number;
  byStatus: Record<string, number>;
  thresholds: ThresholdCounts[];
  reclaimCandidates: number;
}

export interface TotalsOptions {
  thresholdDays: number[];
  /** Reclaim candidates must have been created in Duo more than this many days ago. */
  graceDays: number;
  /** Only members of any of these groups (id or current name); empty or absent = everyone. */
  groups?: string[];
  /** Only users with any of these statuses; empty or absent = every status. */
  statuses?: string[];
}

type StatusRow = {
  status: string;
  users: number;
  active: number[];
  reclaim: number;
};

/**
 * Totals over the tenant's current roster (in Duo's user list, not deleted), in one pass over
 * duo_users: per status, active per threshold (by last_activity_at), and licence-reclaim
 * candidates: status active, no activity within the largest threshold, created in Duo more than
 * `graceDays` ago (a user whose creation date is unknown is never a candidate).
 */
export async function getUsageTotals(db: Queryable, tenantId: string, options: TotalsOptions, nowMs: number): Promise<UsageTotals> {
  const periods = options.thresholdDays.map((days) => periodOf(nowMs, days));
  const longest = periodOf(nowMs, Math.max(...options.thresholdDays));
  const grace = periodOf(nowMs, options.graceDays);
  const activeCounts = sql.join(
    periods.map((p) => sql`count(*) filter (where u.last_activity_at >= ${p.since}::timestamptz)`),
    sql`, `,
  );
  const rows = await db.execute<StatusRow>(sql`
    select u.status, count(*)::int as users,
      array[${activeCounts}]::int[] as active,
      count(*) filter (where u.status = 'active'
        and (u.last_activity_at is null or u.last_activity_at < ${longest.since}::timestamptz)
        and u.created_in_duo_at < ${grace.since}::timestamptz)::int as reclaim
    from duo_users u
    where ${userFilterSql(tenantId, { statuses: options.statuses ?? [], groups: options.groups ?? [], includeDeleted: false, includeEventOnly: false }, nowMs)}
    group by u.status
    order by u.status`);
  const byStatus: Record<string, number> = {};
  let users = 0;
  let reclaimCandidates = 0;
  const active = periods.map(() => 0);
  for (const row of rows) {
    byStatus[row.status] = row.users;
    users += row.users;
    reclaimCandidates += row.reclaim;
    row.active.forEach((n, i) => {
      active[i] = (active[i] ?? 0) + n;
    });
  }
  return {
    users,
    byStatus,
    thresholds: periods.map((p, i) => ({ days: p.days, active: active[i] ?? 0, inactive: users - (active[i] ?? 0) })),
    reclaimCandidates,
  };
}
