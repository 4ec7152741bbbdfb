import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationListSchema, groupListSchema, usageSchema } from '../../api/schemas/usage.js';
import { storeAuthEvents } from '../../db/auth-events.js';
import { advanceBackfillWindow, openBackfillWindow } from '../../db/backfill-windows.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { authEvent, connectUsageTenant, DAY_MS, seedOtherTenant, seedUsageScenario } from '../helpers/usage-tenant.js';

// The aggregate endpoints (usage, groups, applications) on the scenario of test/helpers/usage-tenant.ts.

let api: TestApi;
const tenant = 'acme';
const nowMs = Date.now();
const VPN = 'DIVPN000000000000000';
const WIKI = 'DIWIKI00000000000000';

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: 'http://127.0.0.1:9' });
  await seedUsageScenario(api.database.db, tenant, nowMs);
  await seedOtherTenant(api.database.db, 'globex', nowMs);
});

afterAll(async () => {
  await api?.close();
});

async function get(path: string) {
  const response = await api.app.inject({ method: 'GET', url: `/v1/tenants/${path}`, headers: api.auth });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<unknown>();
}

describe('GET /duo/usage', () => {
  it('totals the current roster by status', async () => {
    const usage = usageSchema.parse(await get(`${tenant}/duo/usage`));
    expect(usage.users).toBe(9);
    expect(usage.byStatus).toEqual({ active: 5, disabled: 1, 'locked out': 1, bypass: 1, 'pending deletion': 1 });
  });

  it('counts active and inactive users per threshold, last_login included', async () => {
    const usage = usageSchema.parse(await get(`${tenant}/duo/usage`));
    expect(usage.thresholds).toEqual([
      { days: 30, active: 3, inactive: 6 },
      { days: 60, active: 4, inactive: 5 },
      { days: 90, active: 5, inactive: 4 },
    ]);
  });

  it('takes thresholds in any order, deduplicated', async () => {
    const usage = usageSchema.parse(await get(`${tenant}/duo/usage?thresholds=60,7,60`));
    expect(usage.thresholds.map((t) => t.days)).toEqual([7, 60]);
  });

  it('counts reclaim candidates: active, idle beyond the largest threshold, past the grace period', async () => {
    const usage = usageSchema.parse(await get(`${tenant}/duo/usage`));
    expect(usage.reclaimCandidates).toEqual({
      count: 2,
      inactiveDays: 90,
      graceDays: 60,
      usersQuery: 'status=active&inactiveForDays=90&createdMoreThanDaysAgo=60',
    });
    const shortGrace = usageSchema.parse(await get(`${tenant}/duo/usage?graceDays=5&thresholds=30`));
    // carol's last_login (10 days) keeps her out; grace (created 10 days ago) is now past a 5-day grace.
    expect(shortGrace.reclaimCandidates.count).toBe(3);
  });

  it('counts only the groups and statuses asked for, and lists the reclaim candidates of those groups', async () => {
    const sales = usageSchema.parse(await get(`${tenant}/duo/usage?group=Sales`));
    // bob, carol, heidi: all active; carol active within 30 days, bob within 90 no, heidi never recently.
    expect(sales.users).toBe(3);
    expect(sales.byStatus).toEqual({ active: 3 });
    expect(sales.reclaimCandidates.usersQuery).toBe('status=active&inactiveForDays=90&createdMoreThanDaysAgo=60&group=Sales');
    const listed = await get(`${tenant}/duo/users?${sales.reclaimCandidates.usersQuery}`);
    expect((listed as { total: number }).total).toBe(sales.reclaimCandidates.count);
    const blocked = usageSchema.parse(await get(`${tenant}/duo/usage?status=disabled&status=locked_out`));
    expect(blocked.users).toBe(2);
    expect(blocked.byStatus).toEqual({ disabled: 1, 'locked out': 1 });
    expect(blocked.reclaimCandidates.count).toBe(0);
  });

  it('gives members and 30-day active members per current group', async () => {
    const usage = usageSchema.parse(await get(`${tenant}/duo/usage`));
    expect(usage.byGroup).toEqual([
      { groupId: 'DGENG', name: 'Engineering', members: 3, active30d: 2 },
      { groupId: 'DGOPS', name: 'Operations', members: 2, active30d: 0 },
      { groupId: 'DGSALES', name: 'Sales', members: 3, active30d: 1 },
    ]);
  });

  it('is complete once the initial sync completed', async () => {
    const usage = usageSchema.parse(await get(`${tenant}/duo/usage`));
    expect(usage.freshness.partial).toBe(false);
    expect(usage.freshness.thresholds.every((t) => t.complete)).toBe(true);
    expect(Date.parse(usage.freshness.newestEventAt ?? '')).toBe(nowMs - DAY_MS);
  });

  it('labels thresholds the running backfill has not reached yet as partial', async () => {
    const anchorMs = nowMs - 3_600_000;
    await connectUsageTenant(api.database.db, 'initech', {
      anchorAt: new Date(anchorMs),
      backfillStartAt: new Date(anchorMs - 179 * DAY_MS),
      completed: false,
    });
    // Day windows fetched newest first: the 40 newest are done, the 41st is half-way.
    for (let i = 0; i < 41; i++) {
      const key = { tenantId: 'initech', stream: 'auth', windowStartMs: anchorMs - (i + 1) * DAY_MS, windowEndMs: anchorMs - i * DAY_MS };
      await openBackfillWindow(api.database.db, key);
      await advanceBackfillWindow(api.database.db, key, { cursor: i < 40 ? null : 'page-2', done: i < 40, events: 0 });
    }
    const usage = usageSchema.parse(await get('initech/duo/usage?thresholds=7,30,60,90'));
    expect(usage.freshness.initialSync).toBe('running');
    expect(usage.freshness.thresholds).toEqual([
      { days: 7, complete: true },
      { days: 30, complete: true },
      { days: 60, complete: false },
      { days: 90, complete: false },
    ]);
    expect(usage.freshness.partial).toBe(true);
  });
});

describe('GET /duo/groups', () => {
  it('lists current groups by name with members, members by status and active members', async () => {
    const { groups } = groupListSchema.parse(await get(`${tenant}/duo/groups`));
    expect(groups.map((g) => [g.name, g.members, g.membersByStatus, g.activeMembers])).toEqual([
      ['Engineering', 3, { active: 2, disabled: 1 }, { d30: 2, d60: 2, d90: 2 }],
      ['Operations', 2, { bypass: 1, 'locked out': 1 }, { d30: 0, d60: 0, d90: 1 }],
      ['Sales', 3, { active: 3 }, { d30: 1, d60: 1, d90: 1 }],
    ]);
  });

  it('keeps members across a rename and shows the current name', async () => {
    const { groups } = groupListSchema.parse(await get(`${tenant}/duo/groups`));
    expect(groups.find((g) => g.groupId === 'DGOPS')).toMatchObject({ name: 'Operations', members: 2 });
  });
});

describe('GET /duo/applications', () => {
  it('counts distinct active users and authentications per application and window', async () => {
    const { applications } = applicationListSchema.parse(await get(`${tenant}/duo/applications`));
    expect(applications.map((a) => a.applicationKey)).toEqual([VPN, WIKI]);
    // Events count whoever made them: frank (deleted since) and DUGHOST (not in the roster) too.
    expect(applications[0]).toMatchObject({
      activeUsers: { d30: 4, d60: 4, d90: 4 },
      authentications: { d30: 6, d60: 6, d90: 6 },
      successes: { d30: 4, d60: 4, d90: 4 },
      denied: { d30: 2, d60: 2, d90: 2 },
      fraud: { d30: 0, d60: 0, d90: 0 },
    });
    expect(Date.parse(applications[0]?.lastUsedAt ?? '')).toBe(nowMs - DAY_MS);
    expect(applications[1]).toMatchObject({ activeUsers: { d30: 0, d60: 1, d90: 2 }, authentications: { d30: 0, d60: 1, d90: 2 } });
  });

  it("restricts the counts to a group's current members", async () => {
    const answer = applicationListSchema.parse(await get(`${tenant}/duo/applications?group=Engineering`));
    expect(answer.groups).toEqual({ groupIds: ['DGENG'], members: 3 });
    // alice and dave; frank's membership ended with his deletion.
    expect(answer.applications.find((a) => a.applicationKey === VPN)).toMatchObject({ activeUsers: { d30: 2, d60: 2, d90: 2 }, authentications: { d30: 3, d60: 3, d90: 3 } });
    expect(answer.applications.find((a) => a.applicationKey === WIKI)).toMatchObject({ activeUsers: { d30: 0, d60: 1, d90: 1 } });
  });

  it('reflects events stored after an earlier answer', async () => {
    await connectUsageTenant(api.database.db, 'hooli', { anchorAt: new Date(nowMs), backfillStartAt: new Date(nowMs - 179 * DAY_MS) });
    const at = new Date(nowMs - DAY_MS / 2).toISOString();
    await storeAuthEvents(api.database.db, 'hooli', [authEvent('h-1', at, 'DUHAL', { applicationKey: VPN })]);
    const before = applicationListSchema.parse(await get('hooli/duo/applications'));
    await storeAuthEvents(api.database.db, 'hooli', [authEvent('h-2', at, 'DUHAL', { applicationKey: WIKI })]);
    const after = applicationListSchema.parse(await get('hooli/duo/applications'));
    expect(before.applications.map((a) => a.applicationKey)).toEqual([VPN]);
    expect(after.applications.map((a) => [a.applicationKey, a.activeUsers.d30])).toEqual([
      [VPN, 1],
      [WIKI, 1],
    ]);
  });

  it('answers an unknown group with zero members and zero counts', async () => {
    const answer = applicationListSchema.parse(await get(`${tenant}/duo/applications?group=Nobody`));
    expect(answer.groups).toEqual({ groupIds: [], members: 0 });
    expect(answer.applications.every((a) => a.authentications.d90 === 0)).toBe(true);
  });
});
