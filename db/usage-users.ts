import { sql, type SQL } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { countPeriods, isoInstant } from './usage-periods.js';
import { userFilterSql, type UserFilter } from './usage-user-filter.js';

export const userSortFields = ['username', 'lastActivityAt'] as const;
export type UserSortField = (typeof userSortFields)[number];
export type SortOrder = 'asc' | 'desc';

export interface UserSort {
  field: UserSortField;
  order: SortOrder;
}

/**
 * Where a page ends: the last row's sort key and user id. For `lastActivityAt` the key is an ISO
 * instant with microseconds, or `-infinity` for users never active (they sort as the oldest).
 */
export interface UserKeyset {
  key: string;
  userId: string;
}

export interface UserUsage {
  userId: string;
  username: string;
  realname: string | null;
  email: string | null;
  status: string;
  groups: { groupId: string; name: string }[];
  enrolled: boolean;
  inRoster: boolean;
  createdAt: string | null;
  lastLogin: string | null;
  lastActivityAt: string | null;
  authCounts: { d30: number; d60: number; d90: number };
  applications30d: number;
  deletedAt: string | null;
}

export interface UserUsagePage {
  users: UserUsage[];
  /** Keyset of the last row when more rows follow, else null. */
  next: UserKeyset | null;
}

type UserUsageRow = {
  user_id: string;
  username: string;
  realname: string | null;
  email: string | null;
  status: string;
  groups: { groupId: string; name: string }[];
  is_enrolled: boolean;
  in_roster: boolean;
  created_at: string | null;
  last_login: string | null;
  last_activity_at: string | null;
  d30: number;
  d60: number;
  d90: number;
  applications_30d: number;
  deleted_at: string | null;
  sort_key: string;
};

// Never-active users sort as the oldest; '-infinity' keeps them in one total order with the others.
const activityKey = sql`coalesce(u.last_activity_at, '-infinity'::timestamptz)`;

function sortKeySql(field: UserSortField): { expression: SQL; asText: SQL; param: (key: string) => SQL } {
  if (field === 'username') return { expression: sql`u.username`, asText: sql`u.username`, param: (key) => sql`${key}::text` };
  return {
    expression: activityKey,
    asText: sql`coalesce(${isoInstant(sql`u.last_activity_at`)}, '-infinity')`,
    param: (key) => sql`${key}::timestamptz`,
  };
}

/**
 * One page of users with their usage, in a stable total order (sort key, then user id) so keyset
 * pagination visits every user exactly once. Per-user figures come from the daily rollups (at most
 * 90 rows per user, read through their (tenant_id, user_id, day) keys) for the page's users only.
 */
export async function listUserUsage(
  db: Queryable,
  tenantId: string,
  filter: UserFilter,
  sort: UserSort,
  page: { limit: number; after?: UserKeyset },
  nowMs: number,
): Promise<UserUsagePage> {
  const key = sortKeySql(sort.field);
  const direction = sort.order === 'asc' ? sql`asc` : sql`desc`;
  const comparison = sort.order === 'asc' ? sql`>` : sql`<`;
  const after = page.after
    ? sql`and (${key.expression}, u.user_id) ${comparison} (${key.param(page.after.key)}, ${page.after.userId}::text)`
    : sql``;
  const { d30, d60, d90 } = countPeriods(nowMs);
  const rows = await db.execute<UserUsageRow>(sql`
    with page as (
      select u.user_id, u.username, u.realname, u.email, u.status, u.is_enrolled, u.in_roster, u.created_in_duo_at,
        u.last_login_at, u.last_activity_at, u.deleted_at, ${key.asText} as sort_key
      from duo_users u
      where ${userFilterSql(tenantId, filter, nowMs)} ${after}
      order by ${key.expression} ${direction}, u.user_id ${direction}
      limit ${page.limit + 1}
    )
    select p.user_id, p.username, p.realname, p.email, p.status, p.is_enrolled, p.in_roster, p.sort_key,
      ${isoInstant(sql`p.created_in_duo_at`)} as created_at,
      ${isoInstant(sql`p.last_login_at`)} as last_login,
      ${isoInstant(sql`p.last_activity_at`)} as last_activity_at,
      ${isoInstant(sql`p.deleted_at`)} as deleted_at,
      coalesce(c.d30, 0)::int as d30, coalesce(c.d60, 0)::int as d60, coalesce(c.d90, 0)::int as d90,
      coalesce(a.applications, 0)::int as applications_30d,
      coalesce(gr.groups, '[]'::json) as groups
    from page p
    left join lateral (
      select sum(d.auth_count) filter (where d.day >= ${d30.sinceDay}::date) as d30,
        sum(d.auth_count) filter (where d.day >= ${d60.sinceDay}::date) as d60,
        sum(d.auth_count) as d90
      from duo_user_daily_activity d
      where d.tenant_id = ${tenantId} and d.user_id = p.user_id and d.day >= ${d90.sinceDay}::date
    ) c on true
    left join lateral (
      select count(distinct ad.application_key) as applications
      from duo_application_daily_activity ad
      where ad.tenant_id = ${tenantId} and ad.user_id = p.user_id and ad.day >= ${d30.sinceDay}::date
    ) a on true
    left join lateral (
      select json_agg(json_build_object('groupId', g.group_id, 'name', g.name) order by g.name, g.group_id) as groups
      from duo_user_groups m
      join duo_groups g on g.tenant_id = m.tenant_id and g.group_id = m.group_id
      where m.tenant_id = ${tenantId} and m.user_id = p.user_id
    ) gr on true
    order by ${sortKeyOfPage(sort.field)} ${direction}, p.user_id ${direction}`);
  const more = rows.length > page.limit;
  const kept = more ? rows.slice(0, page.limit) : [...rows];
  const last = kept[kept.length - 1];
  return {
    users: kept.map(toUserUsage),
    next: more && last ? { key: last.sort_key, userId: last.user_id } : null,
  };
}

function sortKeyOfPage(field: UserSortField): SQL {
  return field === 'username' ? sql`p.username` : sql`coalesce(p.last_activity_at, '-infinity'::timestamptz)`;
}

/** How many users match the filter (every page together). */
export async function countUsers(db: Queryable, tenantId: string, filter: UserFilter, nowMs: number): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from duo_users u where ${userFilterSql(tenantId, filter, nowMs)}`);
  return row?.n ?? 0;
}

function toUserUsage(row: UserUsageRow): UserUsage {
  return {
    userId: row.user_id,
    username: row.username,
    realname: row.realname,
    email: row.email,
    status: row.status,
    groups: row.groups,
    enrolled: row.is_enrolled,
    inRoster: row.in_roster,
    createdAt: row.created_at,
    lastLogin: row.last_login,
    lastActivityAt: row.last_activity_at,
    authCounts: { d30: row.d30, d60: row.d60, d90: row.d90 },
    applications30d: row.applications_30d,
    deletedAt: row.deleted_at,
  };
}
