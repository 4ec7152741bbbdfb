import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { authSyncedThroughMs, compareWithTruth, finishedIncrementalRuns, noDifferences, rollupMismatches, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the late-arrival sweep against Duo publishing a share of events late', () => {
  // Live events (2 a second) since history ended 20 minutes ago; 40% of them appear only 30 to 90
  // seconds after Duo's usual two minutes, so every run leaves some behind its checkpoint.
  const maxLatenessMs = 90_000;
  const account = makeAccount({
    dataset: { seed: 77, users: 200, groups: 3, authEvents: 600, days: 2, liveEventsPerMinute: 120, anchorMs: Date.now() - 20 * 60_000 },
    faults: { seed: 7, latePublicationRate: 0.4, latePublicationMinMinutes: 0.5, latePublicationMaxMinutes: maxLatenessMs / 60_000, latePublicationShape: 'uniform' },
  });
  const tenantId = 'late-tenant';
  let harness: SyncHarness;
  // Found after the first run: events behind its checkpoint that Duo had not published yet.
  let pending: string[] = [];
  let checkpointMs = 0;
  let activityBefore = new Map<string, number>();

  const runAndWait = async () => {
    const before = await finishedIncrementalRuns(harness, tenantId);
    await sleep(1100);
    const response = await harness.api.app.inject({ method: 'POST', url: `/v1/tenants/${tenantId}/integrations/duo/sync`, headers: harness.api.auth, payload: {} });
    expect(response.statusCode).toBe(202);
    await waitFor('an incremental run to finish', async () => (await finishedIncrementalRuns(harness, tenantId)) > before, 120_000);
    const [run] = await harness.api.database.sql<{ outcome: string; counts: Record<string, number> }[]>`
      select outcome, counts from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and outcome <> 'running' order by id desc limit 1`;
    expect(run?.outcome).toBe('completed');
    return run?.counts ?? {};
  };
  const storedCount = async (txids: string[]) => {
    const [row] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from duo_auth_events where tenant_id = ${tenantId} and txid = any(${txids})`;
    return row?.n ?? 0;
  };

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account], env: { LATE_LOG_SWEEP_MINUTES: '1', LATE_LOG_LOOKBACK_HOURS: '24' } });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
    await runAndWait();
    checkpointMs = await authSyncedThroughMs(harness, tenantId);
    pending = await harness.simulator.control.authTxids(account.integrationKey, { maxtime: checkpointMs, publication: 'pending' });
    const users = await harness.api.database.sql<{ user_id: string; at: number | null }[]>`
      select user_id, (extract(epoch from last_activity_at) * 1000)::bigint as at from duo_users where tenant_id = ${tenantId}`;
    activityBefore = new Map(users.map((u) => [u.user_id, Number(u.at ?? 0)]));
  }, 240_000);
  afterAll(async () => { await harness?.close(); });

  it('leaves events Duo had not published behind the checkpoint of a run (the situation the sweep exists for)', async () => {
    expect(pending.length).toBeGreaterThan(0);
    expect(await storedCount(pending)).toBe(0);
  });

  it('stores every late event exactly once at the next due sweep, counts it in the run, the status and the metric, and moves last activity', async () => {
    // Every event up to the checkpoint is out once Duo's two minutes and the longest lateness have passed.
    await sleep(Math.max(0, checkpointMs + 120_000 + maxLatenessMs + 5_000 - Date.now()));
    expect(await harness.simulator.control.authTxids(account.integrationKey, { maxtime: checkpointMs, publication: 'pending' })).toEqual([]);

    const counts = await runAndWait();
    expect(await storedCount(pending)).toBe(pending.length);
    expect(counts.lateAuth).toBeGreaterThanOrEqual(pending.length);
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: checkpointMs })).toEqual(noDifferences);
    expect(await rollupMismatches(harness, tenantId)).toBe(0);

    const status = await harness.status(tenantId);
    expect(status.lateArrivals).toMatchObject({ lookbackHours: 24, everyMinutes: 1, lastFound: counts.lateAuth });
    expect((status.lateArrivals as { totalFound: number }).totalFound).toBeGreaterThanOrEqual(pending.length);

    const metrics = await harness.api.app.inject({ method: 'GET', url: '/metrics', headers: harness.api.auth });
    const found = /^duo_sync_late_events_found_total (\d+)/m.exec(metrics.body);
    expect(Number(found?.[1] ?? 0)).toBeGreaterThanOrEqual(pending.length);

    // Late successes newer than what their user had: the user's last activity now reaches them.
    const late = await harness.api.database.sql<{ user_id: string; at: number; after: number }[]>`
      select e.user_id, (extract(epoch from e.occurred_at) * 1000)::bigint as at, (extract(epoch from u.last_activity_at) * 1000)::bigint as after
      from duo_auth_events e join duo_users u on u.tenant_id = e.tenant_id and u.user_id = e.user_id
      where e.tenant_id = ${tenantId} and e.txid = any(${pending}) and e.result = 'success'`;
    const moved = late.filter((row) => Number(row.at) > (activityBefore.get(row.user_id) ?? 0));
    expect(moved.length).toBeGreaterThan(0);
    for (const row of moved) expect(Number(row.after)).toBeGreaterThanOrEqual(Number(row.at));
  }, 300_000);

  it('does not sweep in a run before the sweep is due again', async () => {
    const counts = await runAndWait();
    expect(counts).not.toHaveProperty('lateAuth');
    const [row] = await harness.api.database.sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct txid)::int as distinct from duo_auth_events where tenant_id = ${tenantId}`;
    expect(row?.n).toBe(row?.distinct);
  }, 200_000);
});
