import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { countPeriods, isoInstant } from './usage-periods.js';

interface Windows {
  d30: number;
  d60: number;
  d90: number;
}

export interface ApplicationUsage {
  applicationKey: string;
  name: string | null;
  /** Distinct users with at least one successful authentication to the application. */
  activeUsers: Windows;
  authentications: Windows;
  successes: Windows;
  denied: Windows;
  fraud: Windows;
  /** Newest authentication to the application by anyone (not only the chosen group). */
  lastUsedAt: string | null;
}

export interface ApplicationUsageAnswer {
  applications: ApplicationUsage[];
  /** With a group filter: the groups it matched and how many current users they hold together. */
  groups?: { groupIds: string[]; members: number };
}

type ApplicationRow = {
  application_key: string;
  name: string | null;
  last_used_at: string | null;
  u30: number;
  u60: number;
  u90: number;
  n30: number;
  n60: number;
  n90: number;
  s30: number;
  s60: number;
  s90: number;
  r30: number;
  r60: number;
  r90: number;
  f30: number;
  f60: number;
  f90: number;
};

const windows = (a: number, b: number, c: number): Windows => ({ d30: a, d60: b, d90: c });

async function resolveGroups(db: Queryable, tenantId: string, groups: string[]): Promise<{ groupIds: string[]; members: number }> {
  const lowered = groups.map((g) => g.toLowerCase());
  const [row] = await db.execute<{ group_ids: string[]; members: number }>(sql`
    with wanted as (
      select g.group_id from duo_groups g
      where g.tenant_id = ${tenantId} and (g.group_id in ${groups} or lower(g.name) in ${lowered}))
    select coalesce((select array_agg(group_id order by group_id) from wanted), '{}') as group_ids,
      (select count(distinct m.user_id) from duo_user_groups m
        join duo_users u on u.tenant_id = m.tenant_id and u.user_id = m.user_id
        where m.tenant_id = ${tenantId} and m.group_id in (select group_id from wanted)
          and u.in_roster and u.deleted_at is null)::int as members`);
  return { groupIds: row?.group_ids ?? [], members: row?.members ?? 0 };
}

/** Row values of the `duo_applications` side, shared by both queries. */
const applicationColumns = sql`p.application_key, p.name, ${isoInstant(sql`p.last_used_at`)} as last_used_at`;

/**
 * Per application: distinct active users, authentications, successes, denied and fraud over 30/60/90
 * days. Applications never used in 90 days are listed with zeros. Without `groups` the answer reads
 * the per-application rollups (duo_application_users, duo_application_daily_totals), which count
 * every identified user; with `groups`, only those groups' current members (in Duo's user list, not
 * deleted) count, read from their rows of duo_application_daily_activity.
 */
export async function listApplicationUsage(
  db: Queryable,
  tenantId: string,
  options: { groups: string[] },
  nowMs: number,
): Promise<ApplicationUsageAnswer> {
  if (options.groups.length === 0) {
    const rows = await allUsersApplicationRows(db, tenantId, nowMs);
    return { applications: rows.map(toApplicationUsage) };
  }
  const scope = await resolveGroups(db, tenantId, options.groups);
  const rows = await groupApplicationRows(db, tenantId, scope.groupIds, nowMs);
  return { applications: rows.map(toApplicationUsage), groups: scope };
}

/**
 * Every identified user counts. Distinct users per window are one index range per application over
 * (tenant_id, application_key, last_success_at); totals sum at most 91 daily rows per application.
 * Windows start on whole UTC days, like every rollup count: last success at or after the first day's
 * midnight UTC.
 */
async function allUsersApplicationRows(db: Queryable, tenantId: string, nowMs: number): Promise<ApplicationRow[]> {
  const { d30, d60, d90 } = countPeriods(nowMs);
  const midnight = (day: string) => sql`${`${day}T00:00:00Z`}::timestamptz`;
  return db.execute<ApplicationRow>(sql`
    select ${applicationColumns},
      coalesce(u.u30, 0)::int as u30, coalesce(u.u60, 0)::int as u60, coalesce(u.u90, 0)::int as u90,
      coalesce(t.n30, 0)::int as n30, coalesce(t.n60, 0)::int as n60, coalesce(t.n90, 0)::int as n90,
      coalesce(t.s30, 0)::int as s30, coalesce(t.s60, 0)::int as s60, coalesce(t.s90, 0)::int as s90,
      coalesce(t.r30, 0)::int as r30, coalesce(t.r60, 0)::int as r60, coalesce(t.r90, 0)::int as r90,
      coalesce(t.f30, 0)::int as f30, coalesce(t.f60, 0)::int as f60, coalesce(t.f90, 0)::int as f90
    from duo_applications p
    cross join lateral (
      select count(*) filter (where au.last_success_at >= ${midnight(d30.sinceDay)}) as u30,
        count(*) filter (where au.last_success_at >= ${midnight(d60.sinceDay)}) as u60,
        count(*) as u90
      from duo_application_users au
      where au.tenant_id = p.tenant_id and au.application_key = p.application_key
        and au.last_success_at >= ${midnight(d90.sinceDay)}
    ) u
    cross join lateral (
      select sum(d.auth_count) filter (where d.day >= ${d30.sinceDay}::date) as n30,
        sum(d.auth_count) filter (where d.day >= ${d60.sinceDay}::date) as n60, sum(d.auth_count) as n90,
        sum(d.success_count) filter (where d.day >= ${d30.sinceDay}::date) as s30,
        sum(d.success_count) filter (where d.day >= ${d60.sinceDay}::date) as s60, sum(d.success_count) as s90,
        sum(d.denied_count) filter (where d.day >= ${d30.sinceDay}::date) as r30,
        sum(d.denied_count) filter (where d.day >= ${d60.sinceDay}::date) as r60, sum(d.denied_count) as r90,
        sum(d.fraud_count) filter (where d.day >= ${d30.sinceDay}::date) as f30,
        sum(d.fraud_count) filter (where d.day >= ${d60.sinceDay}::date) as f60, sum(d.fraud_count) as f90
      from duo_application_daily_totals d
      where d.tenant_id = p.tenant_id and d.application_key = p.application_key and d.day >= ${d90.sinceDay}::date
    ) t
    where p.tenant_id = ${tenantId}
    order by coalesce(u.u90, 0) desc, p.name, p.application_key`);
}

/**
 * Only the groups' current members count. Their rows are read member by member through the
 * (tenant_id, user_id, day, …) index, index-only: a group is a small part of the tenant, and the
 * per-application daily totals cannot be split by user. `offset 0` keeps the planner from flattening the
 * lateral subquery into a join, which it then answers with a scan of every row of the window (it
 * underestimates group sizes).
 */
async function groupApplicationRows(db: Queryable, tenantId: string, groupIds: string[], nowMs: number): Promise<ApplicationRow[]> {
  const { d30, d60, d90 } = countPeriods(nowMs);
  const in30 = sql`ad.day >= ${d30.sinceDay}::date`;
  const in60 = sql`ad.day >= ${d60.sinceDay}::date`;
  // A filter that matched no group: every application, with nothing counted.
  const inGroups = groupIds.length === 0 ? sql`false` : sql`m.group_id in ${groupIds}`;
  return db.execute<ApplicationRow>(sql`
    with per_user as (
      select ad.application_key, ad.user_id,
        max(ad.day) filter (where ad.success_count > 0) as last_success_day,
        sum(ad.auth_count) filter (where ${in30}) as n30, sum(ad.auth_count) filter (where ${in60}) as n60, sum(ad.auth_count) as n90,
        sum(ad.success_count) filter (where ${in30}) as s30, sum(ad.success_count) filter (where ${in60}) as s60, sum(ad.success_count) as s90,
        sum(ad.denied_count) filter (where ${in30}) as r30, sum(ad.denied_count) filter (where ${in60}) as r60, sum(ad.denied_count) as r90,
        sum(ad.fraud_count) filter (where ${in30}) as f30, sum(ad.fraud_count) filter (where ${in60}) as f60, sum(ad.fraud_count) as f90
      from (
        select distinct m.user_id from duo_user_groups m
        join duo_users u on u.tenant_id = m.tenant_id and u.user_id = m.user_id
        where m.tenant_id = ${tenantId} and ${inGroups} and u.in_roster and u.deleted_at is null
      ) member
      cross join lateral (
        select x.application_key, x.user_id, x.day, x.auth_count, x.success_count, x.denied_count, x.fraud_count
        from duo_application_daily_activity x
        where x.tenant_id = ${tenantId} and x.user_id = member.user_id and x.day >= ${d90.sinceDay}::date
        offset 0
      ) ad
      group by ad.application_key, ad.user_id
    ),
    per_app as (
      select application_key,
        count(*) filter (where last_success_day >= ${d30.sinceDay}::date) as u30,
        count(*) filter (where last_success_day >= ${d60.sinceDay}::date) as u60,
        count(last_success_day) as u90,
        sum(n30) as n30, sum(n60) as n60, sum(n90) as n90, sum(s30) as s30, sum(s60) as s60, sum(s90) as s90,
        sum(r30) as r30, sum(r60) as r60, sum(r90) as r90, sum(f30) as f30, sum(f60) as f60, sum(f90) as f90
      from per_user group by application_key
    )
    select ${applicationColumns},
      coalesce(a.u30, 0)::int as u30, coalesce(a.u60, 0)::int as u60, coalesce(a.u90, 0)::int as u90,
      coalesce(a.n30, 0)::int as n30, coalesce(a.n60, 0)::int as n60, coalesce(a.n90, 0)::int as n90,
      coalesce(a.s30, 0)::int as s30, coalesce(a.s60, 0)::int as s60, coalesce(a.s90, 0)::int as s90,
      coalesce(a.r30, 0)::int as r30, coalesce(a.r60, 0)::int as r60, coalesce(a.r90, 0)::int as r90,
      coalesce(a.f30, 0)::int as f30, coalesce(a.f60, 0)::int as f60, coalesce(a.f90, 0)::int as f90
    from duo_applications p
    left join per_app a on a.application_key = p.application_key
    where p.tenant_id = ${tenantId}
    order by coalesce(a.u90, 0) desc, p.name, p.application_key`);
}

function toApplicationUsage(r: ApplicationRow): ApplicationUsage {
  return {
    applicationKey: r.application_key,
    name: r.name,
    activeUsers: windows(r.u30, r.u60, r.u90),
    authentications: windows(r.n30, r.n60, r.n90),
    successes: windows(r.s30, r.s60, r.s90),
    denied: windows(r.r30, r.r60, r.r90),
    fraud: windows(r.f30, r.f60, r.f90),
    lastUsedAt: r.last_used_at,
  };
}
