import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../helpers/simulator.js';
import {
  authSyncedThroughMs,
  compareWithTruth,
  finishedIncrementalRuns,
  noDifferences,
  rollupMismatches,
  startSyncHarness,
  type SyncHarness,
} from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

describe('incremental sync with live events', () => {
  // History ends 20 minutes ago and live events have kept arriving since (2 per second), so every
  // run of the schedule finds new events without the test waiting for real minutes to pass.
  const anchorMs = Date.now() - 20 * 60_000;
  const dataset = { seed: 2024, users: 40, groups: 4, authEvents: 1500, days: 3, liveEventsPerMinute: 120, anchorMs };
  const account = makeAccount({ dataset });
  // The same Duo account seen through a second Admin API application: for key rotation.
  const rotated = makeAccount({ apiHost: account.apiHost, dataset });
  const tenantId = 'live-tenant';
  let harness: SyncHarness;

  const syncNow = async (body: Record<string, unknown> = {}) => {
    const response = await harness.api.app.inject({
      method: 'POST', url: `/v1/tenants/${tenantId}/integrations/duo/sync`, headers: harness.api.auth, payload: body,
    });
    expect(response.statusCode).toBe(202);
  };
  const runAndWait = async (body: Record<string, unknown> = {}) => {
    const before = await finishedIncrementalRuns(harness, tenantId);
    // Scheduled runs are named by the second they start in: a trigger in the same second as the
    // previous run's start would collide on the workflow id.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await syncNow(body);
    await waitFor('an incremental run to finish', async () => (await finishedIncrementalRuns(harness, tenantId)) > before);
  };

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account, rotated] });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
  }, 120_000);
  afterAll(async () => { await harness?.close(); });

  it('lands live events exactly once across many runs', async () => {
    const first = await authSyncedThroughMs(harness, tenantId);
    for (let i = 0; i < 3; i++) await runAndWait();
    const through = await authSyncedThroughMs(harness, tenantId);
    expect(through).toBeGreaterThan(first);
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: through })).toEqual(noDifferences);
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
    const runs = await harness.api.database.sql`select outcome from sync_runs where tenant_id = ${tenantId} and kind = 'incremental'`;
    expect(runs.every((r) => r.outcome === 'completed')).toBe(true);
  }, 120_000);

  it('syncs through Duo\'s two-minute delay plus the configured safety margin, no further and no less', async () => {
    const marginMs = 120_000 + harness.api.config.DUO_LOG_SAFETY_SECONDS * 1000;
    const before = Date.now();
    await runAndWait();
    const through = await authSyncedThroughMs(harness, tenantId);
    expect(through).toBeGreaterThanOrEqual(before - marginMs);
    expect(through).toBeLessThanOrEqual(Date.now() - marginMs);
  }, 60_000);

  it('never runs two incremental syncs at once when sync-now is pressed during a run', async () => {
    // Slow Duo down so the first run is still going when the second trigger arrives.
    await harness.simulator.control.setFaults(account.integrationKey, { slowRate: 1, slowMs: 1500 });
    const before = await finishedIncrementalRuns(harness, tenantId);
    await syncNow();
    await waitFor('the run to start', async () => {
      const [row] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and outcome = 'running'`;
      return (row?.n ?? 0) > 0;
    });
    await syncNow();
    await syncNow();
    await waitFor('the run to finish', async () => (await finishedIncrementalRuns(harness, tenantId)) > before, 60_000);
    await harness.simulator.control.setFaults(account.integrationKey, {});
    await new Promise((r) => setTimeout(r, 1500)); // a skipped trigger would have started by now
    const [row] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from sync_runs where tenant_id = ${tenantId} and kind = 'incremental'`;
    expect((row?.n ?? 0) - before).toBe(1);
  }, 120_000);

  it('marks a user deleted in Duo as deleted on a roster refresh, with the time it disappeared', async () => {
    const roster = await harness.simulator.control.roster(account.integrationKey);
    const victim = roster.users[0]?.user_id ?? '';
    await harness.simulator.control.deleteUser(account.integrationKey, victim);
    await harness.simulator.control.deleteUser(rotated.integrationKey, victim);
    await runAndWait({ roster: true });
    const [user] = await harness.api.database.sql`select deleted_at from duo_users where tenant_id = ${tenantId} and user_id = ${victim}`;
    expect(user?.deleted_at).toBeInstanceOf(Date);
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: await authSyncedThroughMs(harness, tenantId) })).toEqual(noDifferences);
  }, 120_000);

  it('rotates to new keys mid-life without losing data or cursors', async () => {
    const through = await authSyncedThroughMs(harness, tenantId);
    const response = await harness.connect(tenantId, rotated);
    expect(response.statusCode).toBe(202);
    expect(response.body).toMatchObject({ integrationKey: expect.stringMatching(new RegExp(`${rotated.integrationKey.slice(-4)}$`)) });
    await runAndWait();
    expect(await authSyncedThroughMs(harness, tenantId)).toBeGreaterThan(through);
    const stats = await harness.simulator.control.stats(rotated.integrationKey);
    expect(stats.requests.total).toBeGreaterThan(0); // the new keys are the ones in use
    expect(await compareWithTruth(harness, tenantId, rotated, { maxtime: await authSyncedThroughMs(harness, tenantId) })).toEqual(noDifferences);
  }, 120_000);
});
