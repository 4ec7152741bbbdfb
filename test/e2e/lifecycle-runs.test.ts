import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { startScriptedDuoProxy, type ScriptedDuoProxy } from '../helpers/scripted-duo-proxy.js';
import { makeAccount } from '../../simulator/account-builder.js';
import {
  authSyncedThroughMs,
  compareWithTruth,
  describeTenantWorkflows,
  finishedIncrementalRuns,
  noDifferences,
  startSyncHarness,
  type SyncHarness,
} from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

const AUTH_LOGS = '/admin/v2/logs/authentication';
// The service's budget equals Duo's limit here, as in production (DUO_LOG_REQUESTS_PER_MINUTE = Duo's).
const LOG_REQUESTS_PER_MINUTE = 120;

describe('runs across the lifecycle: disconnect, reconnect, and a shared budget during a backfill', () => {
  // Live events keep arriving (history ends 20 minutes ago), so every run has new events to land.
  const anchorMs = Date.now() - 20 * 60_000;
  const leaving = makeAccount({ dataset: { seed: 51, users: 20, groups: 3, authEvents: 300, days: 3 } });
  // History ends about when the service's anchor will be (connect time minus 5 minutes): a short backfill.
  const returningData = { seed: 52, users: 20, groups: 3, authEvents: 600, days: 3, liveEventsPerMinute: 300, anchorMs: Date.now() - 6 * 60_000 };
  const returning = makeAccount({ dataset: returningData });
  // The same Duo account through a second Admin API application: the keys a customer reconnects with.
  const returningNewKeys = makeAccount({ apiHost: returning.apiHost, dataset: returningData });
  // About three log pages for each of the 10 backfill days: ~30 requests, 15 s at the budget.
  const busy = makeAccount({
    dataset: { seed: 53, users: 40, groups: 4, authEvents: 25_000, days: 10, liveEventsPerMinute: 60, anchorMs },
    rateLimits: { logRequestsPerMinute: LOG_REQUESTS_PER_MINUTE },
  });
  let harness: SyncHarness;
  let proxy: ScriptedDuoProxy;

  const call = async (tenantId: string, method: 'POST' | 'DELETE', path = '') => {
    const response = await harness.api.app.inject({ method, url: `/v1/tenants/${tenantId}/integrations/duo${path}`, headers: harness.api.auth });
    return { statusCode: response.statusCode, body: response.json() };
  };
  const runningIncremental = async (tenantId: string) => {
    const [row] = await harness.api.database.sql<{ n: number }[]>`
      select count(*)::int as n from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and outcome = 'running'`;
    return row?.n ?? 0;
  };
  const syncAndWait = async (tenantId: string, timeoutMs = 60_000) => {
    const before = await finishedIncrementalRuns(harness, tenantId);
    // Scheduled runs are named by the second they start in: keep clear of the previous run's second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await call(tenantId, 'POST', '/sync')).statusCode).toBe(202);
    await waitFor(`an incremental run of ${tenantId} to finish`, async () => (await finishedIncrementalRuns(harness, tenantId)) > before, timeoutMs);
  };
  const scheduleExists = async (tenantId: string) => {
    try {
      await harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).describe();
      return true;
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return false;
      throw error;
    }
  };

  beforeAll(async () => {
    proxy = await startScriptedDuoProxy();
    harness = await startSyncHarness({
      accounts: [leaving, returning, returningNewKeys, busy],
      env: { DUO_API_ORIGIN_OVERRIDE: proxy.origin, DUO_LOG_REQUESTS_PER_MINUTE: String(LOG_REQUESTS_PER_MINUTE) },
    });
    proxy.upstream = harness.simulator.origin;
  }, 120_000);
  afterAll(async () => {
    // The busy tenant's backfill may still be going: stop it before the worker goes.
    if (harness) await call('busy', 'DELETE').catch(() => undefined);
    await harness?.close();
    await proxy?.close();
  });

  it('disconnect during a slow initial sync cancels it and any incremental run, deletes the schedule and erases the keys', async () => {
    const tenantId = 'leaving';
    expect((await harness.connect(tenantId, leaving)).statusCode).toBe(202);
    // Every Duo answer now takes 1.5 s: the sync is still going when the disconnect arrives.
    await harness.simulator.control.setFaults(leaving.integrationKey, { slowRate: 1, slowMs: 1500 });
    expect((await call(tenantId, 'POST', '/sync')).statusCode).toBe(202);
    await waitFor('the incremental run to start', async () => (await runningIncremental(tenantId)) > 0);
    const initial = harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId));
    expect((await initial.describe()).status.name).toBe('RUNNING');

    const response = await call(tenantId, 'DELETE');
    expect(response.statusCode).toBe(200);
    expect(response.body).toMatchObject({ status: 'disconnected' });

    await waitFor('the initial sync to end', async () => (await initial.describe()).status.name !== 'RUNNING', 30_000);
    expect((await initial.describe()).status.name, await describeTenantWorkflows(harness, tenantId)).toBe('CANCELLED');
    const statuses: string[] = [];
    await waitFor('every workflow of the tenant to end', async () => {
      statuses.length = 0;
      for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${tenantId}"` })) {
        statuses.push(`${execution.type} ${(await harness.temporal.workflow.getHandle(execution.workflowId, execution.runId).describe()).status.name}`);
      }
      return statuses.every((s) => !s.endsWith('RUNNING'));
    }, 30_000);
    expect(statuses.sort()).toEqual(['incrementalSync CANCELLED', 'initialSync CANCELLED']);
    expect(await scheduleExists(tenantId)).toBe(false);
    const [row] = await harness.api.database.sql`select secret_key_sealed, encryption_key_id, status from duo_integrations where tenant_id = ${tenantId}`;
    expect(row).toEqual({ secret_key_sealed: null, encryption_key_id: null, status: 'disconnected' });
    await harness.simulator.control.setFaults(leaving.integrationKey, {});
  }, 90_000);

  it('reconnecting with new keys after a disconnect resumes from the kept checkpoint, without a second backfill', async () => {
    const tenantId = 'returning';
    expect((await harness.connect(tenantId, returning)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
    await syncAndWait(tenantId);
    const kept = await authSyncedThroughMs(harness, tenantId);
    const windows = () => harness.api.database.sql`
      select window_start_ms, done, pages, events, updated_at from backfill_windows where tenant_id = ${tenantId} order by window_start_ms`;
    const windowsBefore = await windows();
    expect(windowsBefore.length).toBeGreaterThan(0);
    const initialRunId = (await harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe()).runId;

    expect((await call(tenantId, 'DELETE')).statusCode).toBe(200);
    // Live events keep arriving while the tenant is away (5 a second).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const reconnected = await harness.connect(tenantId, returningNewKeys);
    expect(reconnected.statusCode).toBe(202);
    const firstRequest = proxy.requests.length;
    await syncAndWait(tenantId);

    const through = await authSyncedThroughMs(harness, tenantId);
    expect(through).toBeGreaterThan(kept);
    const asked = proxy.requests.slice(firstRequest).filter((r) => r.integrationKey === returningNewKeys.integrationKey && r.path === AUTH_LOGS);
    expect(asked.length).toBeGreaterThan(0);
    // Every auth-log request starts at the kept checkpoint: nothing older is fetched again.
    expect(asked.map((r) => Number(r.params.get('mintime')))).toEqual(asked.map(() => kept));
    expect(await windows()).toEqual(windowsBefore);
    expect((await harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe()).runId).toBe(initialRunId);
    // The events that arrived while disconnected are there, exactly once, and nothing is missing.
    const newTxids = await harness.simulator.control.authTxids(returningNewKeys.integrationKey, { mintime: kept + 1, maxtime: through });
    expect(newTxids.length).toBeGreaterThan(0);
    expect(await compareWithTruth(harness, tenantId, returningNewKeys, { maxtime: through })).toEqual(noDifferences);
  }, 90_000);

  it('an incremental run triggered during a long backfill completes and lands its live events before the backfill ends', async () => {
    const tenantId = 'busy';
    expect((await harness.connect(tenantId, busy)).statusCode).toBe(202);
    const [integration] = await harness.api.database.sql<{ anchor: string }[]>`
      select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
    // Only live events lie after the anchor: what the incremental run, not the backfill, brings in.
    const afterAnchor = Number(integration?.anchor) + 1000;
    expect(afterAnchor).toBeGreaterThan(Date.now() - 10 * 60_000);
    // The backfill is spending the budget before the run asks for it.
    await waitFor('the backfill to be under way', async () => {
      const [row] = await harness.api.database.sql<{ pages: number }[]>`select coalesce(sum(pages), 0)::int as pages from backfill_windows where tenant_id = ${tenantId}`;
      return (row?.pages ?? 0) >= 2;
    });
    await syncAndWait(tenantId, 30_000);

    const [run] = await harness.api.database.sql`select outcome from sync_runs where tenant_id = ${tenantId} and kind = 'incremental'`;
    expect(run?.outcome).toBe('completed');
    const initial = await harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe();
    expect(initial.status.name, 'the backfill ended before the run did: the test proves nothing').toBe('RUNNING');
    const [windows] = await harness.api.database.sql<{ done: number }[]>`select count(*) filter (where done)::int as done from backfill_windows where tenant_id = ${tenantId}`;
    expect(windows?.done).toBeLessThan(10);

    const through = await authSyncedThroughMs(harness, tenantId);
    const live = await harness.simulator.control.authTxids(busy.integrationKey, { mintime: afterAnchor, maxtime: through });
    expect(live.length).toBeGreaterThan(0);
    const differences = await compareWithTruth(harness, tenantId, busy, { mintime: afterAnchor, maxtime: through });
    expect(differences.authTxids).toEqual({ missing: [], extra: [] });
    // The budget kept everyone within Duo's limit.
    const stats = await harness.simulator.control.stats(busy.integrationKey);
    expect(stats.requests.byClass.log?.['429'] ?? 0).toBe(0);
  }, 90_000);
});
