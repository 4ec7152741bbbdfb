import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { authSyncedThroughMs, finishedIncrementalRuns, rollupMismatches, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

describe("per-user erasure: DELETE /v1/tenants/{t}/duo/users/{userId}/data removes one person's data and keeps the tenant's figures consistent", () => {
  const account = makeAccount({ dataset: { seed: 21, users: 25, groups: 3, authEvents: 800, days: 3 } });
  const tenantId = 'erasure';
  let harness: SyncHarness;
  let userId = '';
  let userEvents = 0;
  let eventsBefore = 0;
  let syncedThroughMs = 0;
  let otherUserBefore: unknown;
  let erased: { statusCode: number; body: Record<string, unknown> };

  const erase = async (tenant: string, user: string) => {
    const response = await harness.api.app.inject({ method: 'DELETE', url: `/v1/tenants/${tenant}/duo/users/${user}/data`, headers: harness.api.auth });
    return { statusCode: response.statusCode, body: response.json() as Record<string, unknown> };
  };
  const count = async (table: string, user: string) => {
    const [row] = await harness.api.database.sql<{ n: number }[]>`
      select count(*)::int as n from ${harness.api.database.sql(table)} where tenant_id = ${tenantId} and user_id = ${user}`;
    return row?.n ?? 0;
  };
  const otherUserFigures = async (user: string) =>
    harness.api.database.sql`select day, auth_count, success_count from duo_user_daily_activity where tenant_id = ${tenantId} and user_id = ${user} order by day`;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account] });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
    const users = await harness.api.database.sql<{ user_id: string; n: number }[]>`
      select user_id, count(*)::int as n from duo_auth_events where tenant_id = ${tenantId} and user_id is not null
      group by user_id order by n desc limit 2`;
    userId = users[0]?.user_id ?? '';
    userEvents = users[0]?.n ?? 0;
    otherUserBefore = await otherUserFigures(users[1]?.user_id ?? '');
    eventsBefore = ((await harness.status(tenantId)).counts as { authEvents: number }).authEvents;
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
    syncedThroughMs = await authSyncedThroughMs(harness, tenantId);
    erased = await erase(tenantId, userId);
  }, 180_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('answers 200 with what it deleted', () => {
    expect(userEvents).toBeGreaterThan(0);
    expect(erased.statusCode).toBe(200);
    expect(erased.body).toMatchObject({ tenantId, userId, deleted: { authEvents: userEvents, userRows: expect.any(Number) } });
    expect((erased.body.deleted as { rollupRows: number }).rollupRows).toBeGreaterThan(0);
    expect((erased.body.deleted as { userRows: number }).userRows).toBeGreaterThanOrEqual(1);
  });

  it("leaves none of the person's events, rollup rows, memberships or user row", async () => {
    for (const table of ['duo_auth_events', 'duo_user_daily_activity', 'duo_application_daily_activity', 'duo_application_users', 'duo_user_groups', 'duo_users']) {
      expect({ table, rows: await count(table, userId) }).toEqual({ table, rows: 0 });
    }
  });

  it("keeps every rollup equal to plain SQL over the remaining events (the tenant's totals included)", async () => {
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
    const [row] = await harness.api.database.sql<{ totals: number; events: number }[]>`
      select (select coalesce(sum(auth_count), 0)::int from duo_application_daily_totals where tenant_id = ${tenantId}) as totals,
        (select count(*)::int from duo_auth_events where tenant_id = ${tenantId} and user_id is not null and user_id <> '' and application_key is not null) as events`;
    expect(row?.totals).toBe(row?.events);
  });

  it('lowers the event count of the status document by exactly the erased events', async () => {
    expect(((await harness.status(tenantId)).counts as { authEvents: number }).authEvents).toBe(eventsBefore - userEvents);
  });

  it("leaves another user's figures as they were", async () => {
    const [other] = await harness.api.database.sql<{ user_id: string }[]>`
      select user_id from duo_auth_events where tenant_id = ${tenantId} and user_id is not null group by user_id order by count(*) desc limit 1`;
    expect(other?.user_id).not.toBe(userId);
    expect(await otherUserFigures(other?.user_id ?? '')).toEqual(otherUserBefore);
  });

  it('answers a repeated request with 200 and zeros', async () => {
    const again = await erase(tenantId, userId);
    expect(again.statusCode).toBe(200);
    expect(again.body.deleted).toEqual({ authEvents: 0, telephonyEvents: 0, activityEvents: 0, administratorEvents: 0, rollupRows: 0, userRows: 0 });
  });

  it('refuses a malformed user id with 400 naming userId', async () => {
    const refused = await erase(tenantId, 'not%20a%20user');
    expect(refused.statusCode).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('userId');
  });

  it('refuses a malformed tenant id with 400 naming tenantId', async () => {
    const refused = await erase('bad%20tenant', userId);
    expect(refused.statusCode).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('tenantId');
  });

  it('answers 404 tenant_not_found for a tenant without an integration', async () => {
    const refused = await erase('nobody-here', userId);
    expect(refused.statusCode).toBe(404);
    expect(refused.body).toMatchObject({ error: { code: 'tenant_not_found' } });
  });

  it('brings the user back at the next roster refresh while they are in Duo, without their past events', async () => {
    const before = await finishedIncrementalRuns(harness, tenantId);
    const response = await harness.api.app.inject({
      method: 'POST', url: `/v1/tenants/${tenantId}/integrations/duo/sync`, headers: harness.api.auth, payload: { roster: true },
    });
    expect(response.statusCode).toBe(202);
    await waitFor('the roster refresh', async () => (await finishedIncrementalRuns(harness, tenantId)) > before);
    expect(await count('duo_users', userId)).toBe(1);
    // Events newer than what was synced at the erasure may arrive in the same run; none of the erased ones do.
    const [row] = await harness.api.database.sql<{ n: number }[]>`
      select count(*)::int as n from duo_auth_events where tenant_id = ${tenantId} and user_id = ${userId} and occurred_at < ${new Date(syncedThroughMs)}`;
    expect(row?.n).toBe(0);
  }, 120_000);
});
