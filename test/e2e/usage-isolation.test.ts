import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationListSchema, groupListSchema, usageSchema, userListSchema } from '../../api/schemas/usage.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { seedOtherTenant, seedUsageScenario } from '../helpers/usage-tenant.js';

// Two tenants that reuse the same user ids, group ids and group names: each tenant's answers are
// made of its own rows only, on every usage route.

let api: TestApi;
const nowMs = Date.now();

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: 'http://127.0.0.1:9' });
  await seedUsageScenario(api.database.db, 'acme', nowMs);
  await seedOtherTenant(api.database.db, 'globex', nowMs);
});

afterAll(async () => {
  await api?.close();
});

async function body(url: string): Promise<{ text: string; json: unknown }> {
  const response = await api.app.inject({ method: 'GET', url, headers: api.auth });
  expect(response.statusCode, response.body).toBe(200);
  return { text: response.body, json: response.json<unknown>() };
}

// Every string only the other tenant holds: usernames, its own group and application, its txids.
const globexOnly = ['alice-other', 'zed-other', 'DUZED', 'DGOTHER', 'Other only', 'DIOTHERAPP0000000000', 'other-0'];
const acmeOnly = ['Alice Archer', 'DUBOB', 'DGSALES', 'Operations', 'DIVPN000000000000000', 'a-1'];

/** The rows an answer holds: its lists' lengths, or the user total of the usage summary. */
const rowsIn = (json: unknown): number => {
  const usage = usageSchema.safeParse(json);
  if (usage.success) return usage.data.users;
  return Object.values(json as Record<string, unknown>).reduce<number>((n, value) => n + (Array.isArray(value) ? value.length : 0), 0);
};

const routes = (tenantId: string) => [
  `/v1/tenants/${tenantId}/duo/users?includeDeleted=true&includeEventOnly=true&limit=500`,
  `/v1/tenants/${tenantId}/duo/usage`,
  `/v1/tenants/${tenantId}/duo/applications`,
  `/v1/tenants/${tenantId}/duo/applications?group=Engineering`,
  `/v1/tenants/${tenantId}/duo/groups?includeDeleted=true`,
  `/v1/tenants/${tenantId}/duo/users/DUALICE/events`,
];

describe('tenant isolation of the usage API', () => {
  // An empty answer would hide nothing: each route must first show rows of its own tenant.
  it.each(routes('acme'))("answers with its own rows and never the other tenant's in %s", async (url) => {
    const { text, json } = await body(url);
    expect(rowsIn(json)).toBeGreaterThan(0);
    for (const value of globexOnly) expect(text).not.toContain(value);
  });

  it.each(routes('globex'))("answers with its own rows and never the other tenant's in %s", async (url) => {
    const { text, json } = await body(url);
    expect(rowsIn(json)).toBeGreaterThan(0);
    for (const value of acmeOnly) expect(text).not.toContain(value);
  });

  it('gives each tenant its own view of a shared user id', async () => {
    const acme = userListSchema.parse((await body('/v1/tenants/acme/duo/users?search=alice')).json).users;
    const globex = userListSchema.parse((await body('/v1/tenants/globex/duo/users?search=alice')).json).users;
    expect(acme.map((u) => [u.userId, u.username, u.status, u.authCounts.d30])).toEqual([['DUALICE', 'alice', 'active', 2]]);
    expect(globex.map((u) => [u.userId, u.username, u.status, u.authCounts.d30])).toEqual([['DUALICE', 'alice-other', 'disabled', 5]]);
  });

  it('counts only its own members in a group name both tenants use', async () => {
    const acme = groupListSchema.parse((await body('/v1/tenants/acme/duo/groups')).json).groups.find((g) => g.name === 'Engineering');
    const globex = groupListSchema.parse((await body('/v1/tenants/globex/duo/groups')).json).groups.find((g) => g.name === 'Engineering');
    expect([acme?.members, globex?.members]).toEqual([3, 2]);
    const apps = applicationListSchema.parse((await body('/v1/tenants/globex/duo/applications?group=Engineering')).json);
    expect(apps.groups).toEqual({ groupIds: ['DGENG'], members: 2 });
    expect(apps.applications.map((a) => a.applicationKey)).toEqual(['DIOTHERAPP0000000000']);
  });

  it('totals each tenant separately', async () => {
    expect(usageSchema.parse((await body('/v1/tenants/acme/duo/usage')).json).users).toBe(9);
    expect(usageSchema.parse((await body('/v1/tenants/globex/duo/usage')).json).users).toBe(2);
  });
});
