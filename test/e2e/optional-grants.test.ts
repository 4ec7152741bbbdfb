import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

type Json = Record<string, unknown>;

describe('optional grants: the account summary and the application catalogue', () => {
  const dataset = { seed: 515, users: 60, groups: 4, authEvents: 800, days: 5 };
  const granted = makeAccount({ dataset });
  const withoutGrants = makeAccount({ dataset: { ...dataset, seed: 516 }, permissions: { readInformation: false, readApplications: false } });
  let harness: SyncHarness;
  const connectAnswers: Record<string, Json> = {};

  const get = async (url: string): Promise<Json> => {
    const response = await harness.api.app.inject({ method: 'GET', url, headers: harness.api.auth });
    expect(response.statusCode).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [granted, withoutGrants] });
    for (const [tenantId, account] of [['granted', granted], ['plain', withoutGrants]] as const) {
      const answer = await harness.connect(tenantId, account);
      expect(answer.statusCode).toBe(202);
      connectAnswers[tenantId] = answer.body;
    }
    await Promise.all([harness.waitForInitialSync('granted'), harness.waitForInitialSync('plain')]);
  }, 180_000);
  afterAll(async () => { await harness?.close(); });

  it('connect reports the optional grants the keys have next to the required ones', () => {
    expect(connectAnswers.granted?.optionalGrants).toEqual({ readInformation: true, readApplications: true });
    expect(connectAnswers.plain?.optionalGrants).toEqual({ readInformation: false, readApplications: false });
  });

  it("the roster refresh stores Duo's account summary, shown in the status document and as seat counts in the usage summary", async () => {
    const roster = await harness.simulator.control.roster(granted.integrationKey);
    const pendingDeletion = roster.users.filter((u) => u.status === 'pending deletion').length;
    const status = await harness.status('granted');
    expect(status.account).toMatchObject({ userCount: roster.users.length, usersPendingDeletion: pendingDeletion });
    const usage = await get('/v1/tenants/granted/duo/usage');
    expect(usage.seats).toMatchObject({ duoUserCount: roster.users.length, usersPendingDeletion: pendingDeletion });
  });

  it('the applications answer lists the protected applications nobody used in 90 days, which the logs cannot show', async () => {
    const answer = await get('/v1/tenants/granted/duo/applications');
    const used = (answer.applications as { applicationKey: string; activeUsers: { d90: number } }[]).filter((a) => a.activeUsers.d90 > 0);
    const unused = answer.unused as { total: number; days: number; applications: { applicationKey: string; name: string; type: string | null; lastUsedAt: string | null }[] };
    const status = await harness.status('granted');
    expect(unused.total).toBe((status.account as { integrationCount: number }).integrationCount);
    expect(unused.days).toBe(90);
    // The Admin API application itself is protected and never signed in to.
    expect(unused.applications).toContainEqual(expect.objectContaining({ applicationKey: granted.integrationKey, type: 'adminapi', lastUsedAt: null }));
    expect(unused.applications.filter((a) => a.lastUsedAt === null).length).toBeGreaterThan(1);
    const usedKeys = new Set(used.map((a) => a.applicationKey));
    for (const application of unused.applications) expect(usedKeys.has(application.applicationKey)).toBe(false);
  });

  it('without the grants the sync completes as before and the answers say null', async () => {
    const status = await harness.status('plain');
    expect(status.status).toBe('active');
    expect(status.optionalGrants).toEqual({ readInformation: false, readApplications: false });
    expect(status.account).toBeNull();
    expect((await get('/v1/tenants/plain/duo/usage')).seats).toBeNull();
    const applications = await get('/v1/tenants/plain/duo/applications');
    expect(applications.unused).toBeNull();
    expect((applications.applications as unknown[]).length).toBeGreaterThan(0);
  });
});
