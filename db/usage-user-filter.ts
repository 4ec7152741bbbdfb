import { sql, type SQL } from 'drizzle-orm';
import { periodOf } from './usage-periods.js';

/**
 * Which users a usage question is about. Lists combine with OR inside a filter and filters combine
 * with AND: `statuses: ['active', 'bypass'], groups: ['Engineering']` is "active or bypass, and in
 * Engineering".
 */
export interface UserFilter {
  /** Duo statuses (`active`, `locked out`, …); empty = any. */
  statuses: string[];
  /** Group ids or names (names case-insensitive); empty = any group or none. */
  groups: string[];
  /** No activity in this many days: last_activity_at null or older than now − N days. */
  inactiveForDays?: number;
  /** Activity within this many days: last_activity_at at or after now − N days. */
  activeWithinDays?: number;
  enrolled?: boolean;
  /** Case-insensitive prefix of username, real name or email. */
  search?: string;
  /** Created in Duo before now − N days (the licence-reclaim grace period). */
  createdMoreThanDaysAgo?: number;
  /** Users Duo no longer lists (deleted_at set) are left out unless this is true. */
  includeDeleted: boolean;
  /** Users known only from authentication events (not in Duo's user list) are left out unless this is true. */
  includeEventOnly: boolean;
  /** Only these Duo user ids (one user's page); absent = any. */
  userIds?: string[];
}

export const emptyUserFilter: UserFilter = { statuses: [], groups: [], includeDeleted: false, includeEventOnly: false };

/** LIKE treats `%`, `_` and the escape character as syntax: a search for "a_b" means those characters. */
function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The WHERE clause over `duo_users u` for a filter. `tenant_id` comes first so every plan starts
 * from the tenant's index range; group membership is resolved through duo_user_groups' (tenant_id,
 * group_id) index, and names are resolved against the current group names, so a renamed group is
 * found by its new name.
 */
export function userFilterSql(tenantId: string, filter: UserFilter, nowMs: number): SQL {
  const parts: SQL[] = [sql`u.tenant_id = ${tenantId}`];
  if (!filter.includeEventOnly) parts.push(sql`u.in_roster`);
  if (!filter.includeDeleted) parts.push(sql`u.deleted_at is null`);
  if (filter.userIds !== undefined) parts.push(filter.userIds.length > 0 ? sql`u.user_id in ${filter.userIds}` : sql`false`);
  if (filter.statuses.length > 0) parts.push(sql`u.status in ${filter.statuses}`);
  if (filter.groups.length > 0) {
    const lowered = filter.groups.map((g) => g.toLowerCase());
    parts.push(sql`u.user_id in (
      select m.user_id from duo_user_groups m
      where m.tenant_id = ${tenantId} and m.group_id in (
        select g.group_id from duo_groups g
        where g.tenant_id = ${tenantId} and (g.group_id in ${filter.groups} or lower(g.name) in ${lowered})))`);
  }
  if (filter.inactiveForDays !== undefined) {
    const { since } = periodOf(nowMs, filter.inactiveForDays);
    parts.push(sql`(u.last_activity_at is null or u.last_activity_at < ${since}::timestamptz)`);
  }
  if (filter.activeWithinDays !== undefined) {
    const { since } = periodOf(nowMs, filter.activeWithinDays);
    parts.push(sql`u.last_activity_at >= ${since}::timestamptz`);
  }
  if (filter.enrolled !== undefined) parts.push(sql`u.is_enrolled = ${filter.enrolled}`);
  if (filter.search !== undefined && filter.search !== '') {
    const pattern = likePrefix(filter.search);
    parts.push(sql`(lower(u.username) like lower(${pattern}) or lower(u.realname) like lower(${pattern}) or lower(u.email) like lower(${pattern}))`);
  }
  if (filter.createdMoreThanDaysAgo !== undefined) {
    const { since } = periodOf(nowMs, filter.createdMoreThanDaysAgo);
    parts.push(sql`u.created_in_duo_at < ${since}::timestamptz`);
  }
  return sql.join(parts, sql` and `);
}
