import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeAuthEvents, type AuthEventRecord } from '../../../db/auth-events.js';
import { sweepRoster, upsertGroups, upsertUsers, type UserRecord } from '../../../db/roster.js';
import { listApplicationUsage } from '../../../db/usage-applications.js';
import { listGroupUsage } from '../../../db/usage-groups.js';
import { countPeriods, periodOf } from '../../../db/usage-periods.js';
import { getUsageTotals } from '../../../db/usage-totals.js';
import { emptyUserFilter } from '../../../db/usage-user-filter.js';
import { listUserUsage } from '../../../db/usage-users.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';
import { authEvent, connectUsageTenant, DAY_MS, groupRecord, userRecord } from '../../helpers/usage-tenant.js';

// The rollup-based answers must equal a straightforward SQL over the raw events and the roster,
// whatever the events and however they were delivered: pages out of order, pages delivered twice,
// events of users the roster does not know yet, then a roster refresh, then incremental pages.

const NOW_MS = Date.UTC(2026, 5, 15, 12, 34, 56, 789);
const MINUTE_MS = 60_000;
const userIds = ['DU0', 'DU1', 'DU2', 'DU3', 'DU4', 'DU5', 'DU6', 'DU7'];
const appKeys = ['DIAPPA00000000000000', 'DIAPPB00000000000000', 'DIAPPC00000000000000', null];
const groups = [groupRecord('DG1', 'Engineering'), groupRecord('DG2', 'Sales'), groupRecord('DG3', 'Ops')];

let database: TestDatabase;
let tenantCounter = 0;

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database?.drop();
});

// Ages cluster around the 30/60/90-day edges and UTC midnights, where day rounding could go wrong.
const ageMinutes = fc.oneof(
  fc.integer({ min: 0, max: 130 * 1440 }),
  fc.constantFrom(30, 60, 90).chain((days) => fc.integer({ min: (days - 1) * 1440, max: (days + 1) * 1440 })),
);

const eventArbitrary = fc.record({
  user: fc.constantFrom(...userIds, null),
  app: fc.constantFrom(...appKeys),
  result: fc.constantFrom('success', 'success', 'denied', 'fraud', 'error'),
  ageMinutes,
  micros: fc.integer({ min: 0, max: 999 }),
});

const rosterArbitrary = fc.record({
  status: fc.constantFrom('active', 'disabled', 'bypass', 'locked out'),
  lastLoginDaysAgo: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
  createdDaysAgo: fc.integer({ min: 1, max: 900 }),
  groupIds: fc.subarray(['DG1', 'DG2', 'DG3']),
});

type EventSpec = typeof eventArbitrary extends fc.Arbitrary<infer T> ? T : never;
type RosterSpec = typeof rosterArbitrary extends fc.Arbitrary<infer T> ? T : never;

function specAt(specs: RosterSpec[], index: number): RosterSpec {
  const spec = specs[index];
  if (!spec) throw new Error(`no roster spec at ${index}`);
  return spec;
}

function toRecord(spec: EventSpec, index: number): AuthEventRecord {
  const at = new Date(NOW_MS - spec.ageMinutes * MINUTE_MS);
  // Microseconds as Duo's isotimestamp carries them: ordering and "newest" must keep them.
  const iso = `${at.toISOString().slice(0, 23)}${String(spec.micros).padStart(3, '0')}Z`;
  return authEvent(`tx${index}`, iso, spec.user, { applicationKey: spec.app, result: spec.result });
}

function toUser(userId: string, spec: RosterSpec): UserRecord {
  return userRecord(userId, userId.toLowerCase(), {
    status: spec.status,
    lastLoginAt: spec.lastLoginDaysAgo === null ? null : new Date(NOW_MS - spec.lastLoginDaysAgo * DAY_MS).toISOString(),
    createdInDuoAt: new Date(NOW_MS - spec.createdDaysAgo * DAY_MS).toISOString(),
    groupIds: spec.groupIds,
  });
}

function pages<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Per user, straight from duo_auth_events and the roster columns of duo_users. */
async function rawUsers(tenantId: string) {
  const { d30, d60, d90 } = countPeriods(NOW_MS);
  return database.sql<{ userId: string; lastActivityAt: string | null; d30: number; d60: number; d90: number; apps: number }[]>`
    select u.user_id as "userId",
      to_char(greatest(
        (select max(e.occurred_at) from duo_auth_events e where e.tenant_id = u.tenant_id and e.user_id = u.user_id and e.result = 'success'),
        u.last_login_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "lastActivityAt",
      (select count(*) from duo_auth_events e where e.tenant_id = u.tenant_id and e.user_id = u.user_id
        and (e.occurred_at at time zone 'UTC')::date >= ${d30.sinceDay}::date)::int as d30,
      (select count(*) from duo_auth_events e where e.tenant_id = u.tenant_id and e.user_id = u.user_id
        and (e.occurred_at at time zone 'UTC')::date >= ${d60.sinceDay}::date)::int as d60,
      (select count(*) from duo_auth_events e where e.tenant_id = u.tenant_id and e.user_id = u.user_id
        and (e.occurred_at at time zone 'UTC')::date >= ${d90.sinceDay}::date)::int as d90,
      (select count(distinct e.application_key) from duo_auth_events e where e.tenant_id = u.tenant_id and e.user_id = u.user_id
        and (e.occurred_at at time zone 'UTC')::date >= ${d30.sinceDay}::date)::int as apps
    from duo_users u where u.tenant_id = ${tenantId} order by u.user_id`;
}

async function apiUsers(tenantId: string) {
  const page = await listUserUsage(
    database.db,
    tenantId,
    { ...emptyUserFilter, includeDeleted: true, includeEventOnly: true },
    { field: 'username', order: 'asc' },
    { limit: 500 },
    NOW_MS,
  );
  return page.users
    .map((u) => ({ userId: u.userId, lastActivityAt: u.lastActivityAt, d30: u.authCounts.d30, d60: u.authCounts.d60, d90: u.authCounts.d90, apps: u.applications30d }))
    .sort((a, b) => a.userId.localeCompare(b.userId));
}

/** Statuses, active per threshold and reclaim candidates over the current roster, from raw events. */
async function rawTotals(tenantId: string, thresholds: number[], graceDays: number) {
  const activity = database.sql`
    select u.status, u.created_in_duo_at, greatest(
      (select max(e.occurred_at) from duo_auth_events e where e.tenant_id = u.tenant_id and e.user_id = u.user_id and e.result = 'success'),
      u.last_login_at) as last_activity
    from duo_users u where u.tenant_id = ${tenantId} and u.in_roster and u.deleted_at is null`;
  const statuses = await database.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from (${activity}) a group by status`;
  const byStatus = Object.fromEntries(statuses.map((r) => [r.status, r.n]));
  const users = statuses.reduce((sum, r) => sum + r.n, 0);
  const counts = [];
  for (const days of thresholds) {
    const [row] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from (${activity}) a where a.last_activity >= ${periodOf(NOW_MS, days).since}::timestamptz`;
    counts.push({ days, active: row?.n ?? 0, inactive: users - (row?.n ?? 0) });
  }
  const [reclaim] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from (${activity}) a
    where a.status = 'active' and a.created_in_duo_at < ${periodOf(NOW_MS, graceDays).since}::timestamptz
      and not coalesce(a.last_activity >= ${periodOf(NOW_MS, Math.max(...thresholds)).since}::timestamptz, false)`;
  return { users, byStatus, thresholds: counts, reclaimCandidates: reclaim?.n ?? 0 };
}

/**
 * Per application, from raw events by identified users (the rollups key on the user); with a group,
 * by the group's current members only.
 */
async function rawApplications(tenantId: string, groupId?: string) {
  const { d30, d60, d90 } = countPeriods(NOW_MS);
  const members = groupId
    ? database.sql`and e.user_id in (select m.user_id from duo_user_groups m join duo_users u using (tenant_id, user_id)
        where m.tenant_id = ${tenantId} and m.group_id = ${groupId} and u.in_roster and u.deleted_at is null)`
    : database.sql``;
  const day = (since: string) => database.sql`(e.occurred_at at time zone 'UTC')::date >= ${since}::date ${members}`;
  return database.sql<Record<string, unknown>[]>`
    select a.application_key as "applicationKey",
      (select count(distinct e.user_id) from duo_auth_events e where e.tenant_id = a.tenant_id and e.application_key = a.application_key
        and e.user_id <> '' and e.result = 'success' and ${day(d30.sinceDay)})::int as u30,
      (select count(distinct e.user_id) from duo_auth_events e where e.tenant_id = a.tenant_id and e.application_key = a.application_key
        and e.user_id <> '' and e.result = 'success' and ${day(d60.sinceDay)})::int as u60,
      (select count(distinct e.user_id) from duo_auth_events e where e.tenant_id = a.tenant_id and e.application_key = a.application_key
        and e.user_id <> '' and e.result = 'success' and ${day(d90.sinceDay)})::int as u90,
      (select count(*) from duo_auth_events e where e.tenant_id = a.tenant_id and e.application_key = a.application_key
        and e.user_id <> '' and ${day(d30.sinceDay)})::int as n30,
      (select count(*) from duo_auth_events e where e.tenant_id = a.tenant_id and e.application_key = a.application_key
        and e.user_id <> '' and ${day(d90.sinceDay)})::int as n90,
      (select count(*) from duo_auth_events e where e.tenant_id = a.tenant_id and e.application_key = a.application_key
        and e.user_id <> '' and e.result = 'denied' and ${day(d60.sinceDay)})::int as r60,
      (select count(*) from duo_auth_events e where e.tenant_id = a.tenant_id and e.application_key = a.application_key
        and e.user_id <> '' and e.result = 'fraud' and ${day(d90.sinceDay)})::int as f90,
      to_char((select max(e.occurred_at) from duo_auth_events e where e.tenant_id = a.tenant_id and e.application_key = a.application_key)
        at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as "lastUsedAt"
    from (select distinct tenant_id, application_key from duo_auth_events where tenant_id = ${tenantId} and application_key is not null) a
    order by 1`;
}

async function apiApplications(tenantId: string, groupId?: string) {
  const { applications } = await listApplicationUsage(database.db, tenantId, { groups: groupId ? [groupId] : [] }, NOW_MS);
  return applications
    .map((a) => ({
      applicationKey: a.applicationKey,
      u30: a.activeUsers.d30,
      u60: a.activeUsers.d60,
      u90: a.activeUsers.d90,
      n30: a.authentications.d30,
      n90: a.authentications.d90,
      r60: a.denied.d60,
      f90: a.fraud.d90,
      lastUsedAt: a.lastUsedAt,
    }))
    .sort((a, b) => a.applicationKey.localeCompare(b.applicationKey));
}

/** Per group: members of the current roster and how many were active, from raw events. */
async function rawGroups(tenantId: string) {
  const { d30, d90 } = countPeriods(NOW_MS);
  return database.sql<{ groupId: string; members: number; a30: number; a90: number }[]>`
    with activity as (
      select u.user_id, greatest(
        (select max(e.occurred_at) from duo_auth_events e where e.tenant_id = u.tenant_id and e.user_id = u.user_id and e.result = 'success'),
        u.last_login_at) as last_activity
      from duo_users u where u.tenant_id = ${tenantId} and u.in_roster and u.deleted_at is null)
    select g.group_id as "groupId", count(a.user_id)::int as members,
      count(a.user_id) filter (where a.last_activity >= ${d30.since}::timestamptz)::int as a30,
      count(a.user_id) filter (where a.last_activity >= ${d90.since}::timestamptz)::int as a90
    from duo_groups g
    left join duo_user_groups m on m.tenant_id = g.tenant_id and m.group_id = g.group_id
    left join activity a on a.user_id = m.user_id
    where g.tenant_id = ${tenantId} and g.deleted_at is null
    group by g.group_id order by g.group_id`;
}

/**
 * The per-application rollups row by row against the raw events of identified users: every
 * (application, user) with its newest event and newest success, every (application, UTC day) with
 * its counts. Rows missing on either side, or differing, are returned.
 */
async function applicationRollupDifferences(tenantId: string) {
  const identified = database.sql`tenant_id = ${tenantId} and user_id <> '' and application_key is not null`;
  const users = await database.sql`
    with raw as (
      select application_key, user_id, max(occurred_at) filter (where result = 'success') as last_success_at, max(occurred_at) as last_at
      from duo_auth_events where ${identified} group by 1, 2)
    select * from raw full join (select * from duo_application_users where tenant_id = ${tenantId}) r using (application_key, user_id)
    where r.last_at is distinct from raw.last_at or r.last_success_at is distinct from raw.last_success_at`;
  const days = await database.sql`
    with raw as (
      select application_key, (occurred_at at time zone 'UTC')::date as day, count(*)::int as n,
        count(*) filter (where result = 'success')::int as s, count(*) filter (where result = 'denied')::int as r,
        count(*) filter (where result = 'fraud')::int as f
      from duo_auth_events where ${identified} group by 1, 2)
    select * from raw full join (select * from duo_application_daily_totals where tenant_id = ${tenantId}) t using (application_key, day)
    where t.auth_count is distinct from raw.n or t.success_count is distinct from raw.s
      or t.denied_count is distinct from raw.r or t.fraud_count is distinct from raw.f`;
  return [...users, ...days];
}

async function expectRollupsMatchRaw(tenantId: string): Promise<void> {
  expect(await applicationRollupDifferences(tenantId)).toEqual([]);
  expect(await apiUsers(tenantId)).toEqual([...(await rawUsers(tenantId))]);
  const thresholds = [7, 30, 60, 90];
  const totals = await getUsageTotals(database.db, tenantId, { thresholdDays: thresholds, graceDays: 60 }, NOW_MS);
  expect(totals).toEqual(await rawTotals(tenantId, thresholds, 60));
  expect(await apiApplications(tenantId)).toEqual([...(await rawApplications(tenantId))]);
  expect(await apiApplications(tenantId, 'DG1')).toEqual([...(await rawApplications(tenantId, 'DG1'))]);
  const groupUsage = await listGroupUsage(database.db, tenantId, { includeDeleted: false }, NOW_MS);
  expect(groupUsage.map((g) => ({ groupId: g.groupId, members: g.members, a30: g.activeMembers.d30, a90: g.activeMembers.d90 })).sort((a, b) => a.groupId.localeCompare(b.groupId))).toEqual([
    ...(await rawGroups(tenantId)),
  ]);
}

describe('usage answers from rollups', () => {
  it('equal a straightforward SQL over the raw events, across re-delivered pages, a roster refresh and incremental pages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArbitrary, { minLength: 1, maxLength: 80 }),
        fc.array(eventArbitrary, { maxLength: 30 }),
        fc.array(rosterArbitrary, { minLength: userIds.length, maxLength: userIds.length }),
        fc.array(rosterArbitrary, { minLength: userIds.length, maxLength: userIds.length }),
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 0, max: 4 }),
        async (backfill, incremental, firstRoster, refreshedRoster, pageSize, redelivered) => {
          const tenantId = `roll${tenantCounter++}`;
          await connectUsageTenant(database.db, tenantId, {
            anchorAt: new Date(NOW_MS - DAY_MS),
            backfillStartAt: new Date(NOW_MS - 120 * DAY_MS),
          });
          await upsertGroups(database.db, tenantId, groups, new Date(NOW_MS - 2 * DAY_MS));
          // The first roster scan misses DU6 and DU7: their events arrive before the roster knows them.
          const firstScan = userIds.slice(0, 6).map((id, i) => toUser(id, specAt(firstRoster, i)));
          await upsertUsers(database.db, tenantId, firstScan, new Date(NOW_MS - 2 * DAY_MS));

          // Backfill newest page first, then a few pages delivered again (a retry after a crash).
          const backfillPages = pages(backfill.map(toRecord), pageSize).reverse();
          for (const page of backfillPages) await storeAuthEvents(database.db, tenantId, page);
          for (const page of backfillPages.slice(0, redelivered)) await storeAuthEvents(database.db, tenantId, page);
          await expectRollupsMatchRaw(tenantId);

          // Roster refresh: DU6 joins, DU7 stays event-only, DU5 is gone from Duo, the rest change.
          const scanStartedAt = new Date(NOW_MS);
          const refreshed = ['DU0', 'DU1', 'DU2', 'DU3', 'DU4', 'DU6'].map((id, i) => toUser(id, specAt(refreshedRoster, i)));
          await upsertUsers(database.db, tenantId, refreshed, new Date(scanStartedAt.getTime() + 1));
          await sweepRoster(database.db, tenantId, scanStartedAt);
          await expectRollupsMatchRaw(tenantId);

          // Incremental pages, the last one delivered twice.
          const increments = pages(incremental.map((e, i) => toRecord(e, backfill.length + i)), pageSize);
          for (const page of increments) await storeAuthEvents(database.db, tenantId, page);
          const last = increments[increments.length - 1];
          if (last) await storeAuthEvents(database.db, tenantId, last);
          await expectRollupsMatchRaw(tenantId);
        },
      ),
      { numRuns: 25 },
    );
  });
});
