import { sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { countPeriods, isoInstant } from './usage-periods.js';

export interface GroupUsage {
  groupId: string;
  name: string;
  description: string | null;
  status: string | null;
  deletedAt: string | null;
  /** Members in Duo's current user list (not deleted). */
  members: number;
  membersByStatus: Record<string, number>;
  /** Members whose last activity is within 30/60/90 days. */
  activeMembers: { d30: number; d60: number; d90: number };
}

type GroupRow = {
  group_id: string;
  name: string;
  description: string | null;
  status: string | null;
  deleted_at: string | null;
  members: number;
  by_status: Record<string, number>;
  a30: number;
  a60: number;
  a90: number;
};

/**
 * Every group with member and active-member counts: one pass over the memberships joined to their
 * users, grouped by (group, status). Membership is by group id, so a renamed group keeps its members
 * and shows its current name. Deleted groups only with `includeDeleted`.
 */
export async function listGroupUsage(
  db: Queryable,
  tenantId: string,
  options: { includeDeleted: boolean },
  nowMs: number,
): Promise<GroupUsage[]> {
  const { d30, d60, d90 } = countPeriods(nowMs);
  const rows = await db.execute<GroupRow>(sql`
    with counts as (
      select m.group_id, u.status, count(*)::int as n,
        count(*) filter (where u.last_activity_at >= ${d30.since}::timestamptz)::int as a30,
        count(*) filter (where u.last_activity_at >= ${d60.since}::timestamptz)::int as a60,
        count(*) filter (where u.last_activity_at >= ${d90.since}::timestamptz)::int as a90
      from duo_user_groups m
      join duo_users u on u.tenant_id = m.tenant_id and u.user_id = m.user_id
      where m.tenant_id = ${tenantId} and u.in_roster and u.deleted_at is null
      group by m.group_id, u.status
    )
    select g.group_id, g.name, g.description, g.status, ${isoInstant(sql`g.deleted_at`)} as deleted_at,
      coalesce(sum(c.n), 0)::int as members,
      coalesce(json_object_agg(c.status, c.n) filter (where c.status is not null), '{}'::json) as by_status,
      coalesce(sum(c.a30), 0)::int as a30, coalesce(sum(c.a60), 0)::int as a60, coalesce(sum(c.a90), 0)::int as a90
    from duo_groups g
    left join counts c on c.group_id = g.group_id
    where g.tenant_id = ${tenantId} ${options.includeDeleted ? sql`` : sql`and g.deleted_at is null`}
    group by g.group_id, g.name, g.description, g.status, g.deleted_at
    order by lower(g.name), g.group_id`);
  return rows.map((row) => ({
    groupId: row.group_id,
    name: row.name,
    description: row.description,
    status: row.status,
    deletedAt: row.deleted_at,
    members: row.members,
    membersByStatus: row.by_status,
    activeMembers: { d30: row.a30, d60: row.a60, d90: row.a90 },
  }));
}
