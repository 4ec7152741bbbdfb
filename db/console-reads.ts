import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { isoInstant, periodOf } from './usage-periods.js';

/** One UTC day of the daily-active-users series. */
export interface DailyActiveUsers {
  day: string;
  /** Distinct users with at least one successful authentication that day. */
  activeUsers: number;
}

/**
 * Distinct users with a successful authentication per UTC day, oldest first, every day of the range
 * present (0 when nobody authenticated). Read from the per-user daily rollup through its
 * (tenant_id, day) index, never from raw events; with groups, only their current members count
 * (group id or current name, as the user filter matches them).
 */
export async function listDailyActiveUsers(
  db: Queryable,
  tenantId: string,
  options: { days: number; groups: string[] },
  nowMs: number,
): Promise<DailyActiveUsers[]> {
  const firstDay = periodOf(nowMs, options.days - 1).sinceDay;
  const today = new Date(nowMs).toISOString().slice(0, 10);
  const lowered = options.groups.map((g) => g.toLowerCase());
  const members =
    options.groups.length === 0
      ? sql``
      : sql`and d.user_id in (
          select m.user_id from duo_user_groups m
          where m.tenant_id = ${tenantId} and m.group_id in (
            select g.group_id from duo_groups g
            where g.tenant_id = ${tenantId} and (g.group_id in ${options.groups} or lower(g.name) in ${lowered})))`;
  const rows = await db.execute<{ day: string; active_users: number }>(sql`
    with counts as (
      select d.day, count(*)::int as active_users
      from duo_user_daily_activity d
      where d.tenant_id = ${tenantId} and d.day between ${firstDay}::date and ${today}::date and d.success_count > 0 ${members}
      group by d.day
    )
    select to_char(s.day, 'YYYY-MM-DD') as day, coalesce(c.active_users, 0)::int as active_users
    from generate_series(${firstDay}::date, ${today}::date, interval '1 day') as s(day)
    left join counts c on c.day = s.day::date
    order by s.day`);
  return rows.map((row) => ({ day: row.day, activeUsers: Number(row.active_users) }));
}

/** A user's Duo aliases (username aliases), which the usage listing leaves out. */
export async function getUserAliases(db: Queryable, tenantId: string, userId: string): Promise<string[] | undefined> {
  const [row] = await db.execute<{ aliases: string[] }>(
    sql`select aliases from duo_users where tenant_id = ${tenantId} and user_id = ${userId}`,
  );
  return row ? [...row.aliases] : undefined;
}

export interface RecentRun {
  kind: string;
  workflowId: string;
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: string;
  counts: Record<string, number>;
  error: { code: string; message: string | null } | null;
}

/** The tenant's newest sync runs (initial, incremental, roster), newest first, through (tenant_id, started_at). */
export async function listRecentRuns(db: Queryable, tenantId: string, limit: number): Promise<RecentRun[]> {
  type Row = {
    kind: string;
    workflow_id: string;
    run_id: string;
    started_at: string;
    finished_at: string | null;
    outcome: string;
    counts: Record<string, number>;
    error_code: string | null;
    error_message: string | null;
  };
  const rows = await db.execute<Row>(sql`
    select kind, workflow_id, run_id, ${isoInstant(sql`started_at`)} as started_at, ${isoInstant(sql`finished_at`)} as finished_at,
      outcome, counts, error_code, error_message
    from sync_runs where tenant_id = ${tenantId}
    order by started_at desc, id desc limit ${limit}`);
  return rows.map((row) => ({
    kind: row.kind,
    workflowId: row.workflow_id,
    runId: row.run_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    outcome: row.outcome,
    counts: row.counts,
    error: row.error_code ? { code: row.error_code, message: row.error_message } : null,
  }));
}
