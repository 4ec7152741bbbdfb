import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';

export interface GroupRecord {
  groupId: string;
  name: string;
  description: string | null;
  status: string | null;
  raw: unknown;
}

export interface UserRecord {
  userId: string;
  username: string;
  realname: string | null;
  email: string | null;
  status: string;
  isEnrolled: boolean;
  /** ISO instants. */
  createdInDuoAt: string | null;
  lastLoginAt: string | null;
  aliases: string[];
  groupIds: string[];
  raw: unknown;
}

/** Upserts one page of groups; a group seen again is no longer deleted. */
export async function upsertGroups(db: Queryable, tenantId: string, groups: GroupRecord[], seenAt: Date): Promise<void> {
  if (groups.length === 0) return;
  await db.execute(sql`
    insert into duo_groups as g (tenant_id, group_id, name, description, status, raw, first_seen_at, last_seen_at, deleted_at)
    select ${tenantId}, x."groupId", x."name", x."description", x."status", x."raw", ${seenAt.toISOString()}::timestamptz, ${seenAt.toISOString()}::timestamptz, null
    from jsonb_to_recordset(${JSON.stringify(groups)}::jsonb) as x("groupId" text, "name" text, "description" text, "status" text, "raw" jsonb)
    on conflict (tenant_id, group_id) do update set
      name = excluded.name, description = excluded.description, status = excluded.status, raw = excluded.raw,
      last_seen_at = excluded.last_seen_at, deleted_at = null`);
}

/**
 * Upserts one page of users and replaces their group memberships with what Duo says now, in one
 * statement. A user seen again is no longer deleted; a placeholder row created from events joins the roster.
 */
export async function upsertUsers(db: Queryable, tenantId: string, users: UserRecord[], seenAt: Date): Promise<void> {
  if (users.length === 0) return;
  await db.execute(sql`
    with input as (
      select distinct on (x."userId") x.*
      from jsonb_to_recordset(${JSON.stringify(users)}::jsonb) as x(
        "userId" text, "username" text, "realname" text, "email" text, "status" text, "isEnrolled" boolean,
        "createdInDuoAt" timestamptz, "lastLoginAt" timestamptz, "aliases" text[], "groupIds" text[], "raw" jsonb)
    ),
    upserted as (
      insert into duo_users as u (tenant_id, user_id, username, realname, email, status, is_enrolled, created_in_duo_at,
        last_login_at, aliases, raw, last_activity_at, in_roster, first_seen_at, last_seen_at, deleted_at)
      select ${tenantId}, i."userId", i."username", i."realname", i."email", i."status", coalesce(i."isEnrolled", false),
        i."createdInDuoAt", i."lastLoginAt", coalesce(i."aliases", '{}'), i."raw", i."lastLoginAt", true, ${seenAt.toISOString()}::timestamptz, ${seenAt.toISOString()}::timestamptz, null
      from input i
      on conflict (tenant_id, user_id) do update set
        username = excluded.username, realname = excluded.realname, email = excluded.email, status = excluded.status,
        is_enrolled = excluded.is_enrolled, created_in_duo_at = excluded.created_in_duo_at,
        last_login_at = excluded.last_login_at, aliases = excluded.aliases, raw = excluded.raw,
        last_activity_at = greatest(u.last_success_at, excluded.last_login_at),
        in_roster = true, last_seen_at = excluded.last_seen_at, deleted_at = null
      returning user_id
    ),
    wanted as (
      select i."userId" as user_id, g.group_id from input i cross join lateral unnest(coalesce(i."groupIds", '{}')) as g(group_id)
    ),
    removed as (
      delete from duo_user_groups m
      using input i
      where m.tenant_id = ${tenantId} and m.user_id = i."userId"
        and not exists (select 1 from wanted w where w.user_id = m.user_id and w.group_id = m.group_id)
      returning 1
    )
    insert into duo_user_groups (tenant_id, user_id, group_id)
    select ${tenantId}, user_id, group_id from wanted
    on conflict do nothing`);
}

export interface SweepResult {
  usersMarkedDeleted: number;
  groupsMarkedDeleted: number;
}

/**
 * After a complete roster scan that started at `scanStartedAt`: users and groups Duo no longer lists
 * are marked deleted (never erased), with the time they disappeared. A list whose scan missed entries
 * (`scanComplete` false: Duo's list changed under the offset paging) sweeps nothing this time.
 */
export async function sweepRoster(
  db: Queryable,
  tenantId: string,
  scanStartedAt: Date,
  scanComplete: { users: boolean; groups: boolean } = { users: true, groups: true },
): Promise<SweepResult> {
  const users = !scanComplete.users ? [{ n: 0 }] : await db.execute<{ n: number }>(sql`
    with swept as (
      update duo_users set deleted_at = now()
      where tenant_id = ${tenantId} and in_roster and deleted_at is null and last_seen_at < ${scanStartedAt.toISOString()}::timestamptz
      returning 1)
    select count(*)::int as n from swept`);
  const groups = !scanComplete.groups ? [{ n: 0 }] : await db.execute<{ n: number }>(sql`
    with swept as (
      update duo_groups set deleted_at = now()
      where tenant_id = ${tenantId} and deleted_at is null and last_seen_at < ${scanStartedAt.toISOString()}::timestamptz
      returning 1)
    select count(*)::int as n from swept`);
  return { usersMarkedDeleted: users[0]?.n ?? 0, groupsMarkedDeleted: groups[0]?.n ?? 0 };
}
