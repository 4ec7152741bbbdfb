import { TypedSearchAttributes, type SearchAttributePair } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantIdSearchAttribute } from '../../workflows/definitions.js';
import { makeAccount } from '../../simulator/account-builder.js';
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
  // An account whose history has ended and where nothing new happens.
  const quiet = makeAccount({ dataset: { seed: 2025, users: 10, groups: 2, authEvents: 200, days: 3, anchorMs } });
  const quietTenantId = 'quiet-tenant';
  let harness: SyncHarness;

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const syncNow = async (body: Record<string, unknown> = {}, tenant = tenantId) => {
    const response = await harness.api.app.inject({
      method: 'POST', url: `/v1/tenants/${tenant}/integrations/duo/sync`, headers: harness.api.auth, payload: body,
    });
    expect(response.statusCode).toBe(202);
  };
  const runAndWait = async (body: Record<string, unknown> = {}, tenant = tenantId) => {
    const before = await finishedIncrementalRuns(harness, tenant);
    // Scheduled runs are named by the second they start in: a trigger in the same second as the
    // previous run's start would collide on the workflow id.
    await sleep(1100);
    await syncNow(body, tenant);
    await waitFor('an incremental run to finish', async () => (await finishedIncrementalRuns(harness, tenant)) > before);
  };
  const incrementalRunRows = async (tenant = tenantId) => {
    const [row] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from sync_runs where tenant_id = ${tenant} and kind = 'incremental'`;
    return row?.n ?? 0;
  };
  const incrementalWorkflows = async () => {
    const ids: string[] = [];
    for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${tenantId}" AND WorkflowType = "incrementalSync"` })) {
      ids.push(execution.workflowId);
    }
    return ids;
  };
  const tenantAttribute = (attributes: SearchAttributePair[] | TypedSearchAttributes | undefined) =>
    (attributes instanceof TypedSearchAttributes ? attributes : new TypedSearchAttributes(attributes ?? [])).get(tenantIdSearchAttribute);

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account, rotated, quiet] });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    expect((await harness.connect(quietTenantId, quiet)).statusCode).toBe(202);
    await Promise.all([harness.waitForInitialSync(tenantId), harness.waitForInitialSync(quietTenantId)]);
  }, 120_000);
  afterAll(async () => { await harness?.close(); });

  it('creates at connect a schedule that really has overlap SKIP, jitter, a catch-up window, the TenantId attribute and a summary', async () => {
    const schedule = await harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).describe();
    const everyMs = schedule.spec.intervals?.[0]?.every ?? 0;
    expect(everyMs).toBe(harness.api.config.SYNC_INTERVAL_MINUTES * 60_000);
    expect(schedule.policies.overlap).toBe('SKIP');
    expect(schedule.spec.jitter).toBeGreaterThan(0);
    expect(schedule.spec.jitter).toBeLessThan(everyMs);
    // Explicit: the server's default is a year.
    expect(schedule.policies.catchupWindow).toBeGreaterThanOrEqual(60_000);
    expect(schedule.policies.catchupWindow).toBeLessThanOrEqual(24 * 3_600_000);
    expect(tenantAttribute(schedule.typedSearchAttributes)).toBe(tenantId);
    expect(schedule.memo?.summary).toEqual(expect.stringMatching(new RegExp(`incremental.*${tenantId}`, 'i')));
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'incrementalSync', args: [{ tenantId }] });
    expect(tenantAttribute(schedule.action.typedSearchAttributes)).toBe(tenantId);
    expect(schedule.action.staticSummary).toEqual(expect.stringMatching(new RegExp(`incremental.*${tenantId}`, 'i')));
    expect(schedule.action.workflowRunTimeout).toBeGreaterThan(0);
  });

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

  it('starts runs that carry the TenantId attribute and a readable summary', async () => {
    const [workflowId] = await incrementalWorkflows();
    expect(workflowId).toBeDefined();
    const run = await harness.temporal.workflow.getHandle(workflowId ?? '').describe();
    expect(tenantAttribute(run.typedSearchAttributes)).toBe(tenantId);
    expect(await run.staticSummary()).toEqual(expect.stringMatching(new RegExp(`incremental.*${tenantId}`, 'i')));
  });

  it('never runs two incremental syncs at once when sync-now is pressed during a run', async () => {
    const workflowsBefore = (await incrementalWorkflows()).length;
    const rowsBefore = await incrementalRunRows();
    // Every Duo answer takes 5 s, so the run outlasts both re-triggers below.
    await harness.simulator.control.setFaults(account.integrationKey, { slowRate: 1, slowMs: 5000 });
    await sleep(1100);
    await syncNow();
    let first = '';
    await waitFor('the run to start', async () => {
      const [row] = await harness.api.database.sql<{ workflow_id: string }[]>`
        select workflow_id from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and outcome = 'running'`;
      first = row?.workflow_id ?? '';
      return first !== '';
    });
    // Runs are named by the second they start in: re-triggers in later seconds than the run's own
    // would start runs of their own unless the overlap policy skips them.
    for (let i = 0; i < 2; i++) {
      await sleep(1200);
      await syncNow();
    }
    const [still] = await harness.api.database.sql`select outcome from sync_runs where workflow_id = ${first}`;
    expect(still?.outcome, 'the run ended before the re-triggers: the test would prove nothing').toBe('running');
    await waitFor('the run to finish', async () => {
      const [row] = await harness.api.database.sql`select outcome from sync_runs where workflow_id = ${first}`;
      return row?.outcome !== 'running';
    }, 60_000);
    await harness.simulator.control.setFaults(account.integrationKey, {});
    await sleep(1500); // a second run started by a re-trigger would be visible by now
    expect(await incrementalRunRows()).toBe(rowsBefore + 1);
    expect((await incrementalWorkflows()).length).toBe(workflowsBefore + 1);
  }, 120_000);

  it('spends exactly one Duo log request, and no object request, on a run that finds nothing', async () => {
    const requests = (counts: Record<string, number> | undefined) => Object.values(counts ?? {}).reduce((a, b) => a + b, 0);
    // The tenant's first run also does its first late-arrival sweep (due once a day); measure the next.
    await runAndWait({}, quietTenantId);
    const before = await harness.simulator.control.stats(quiet.integrationKey);
    await runAndWait({}, quietTenantId);
    const after = await harness.simulator.control.stats(quiet.integrationKey);
    const [run] = await harness.api.database.sql`
      select outcome, counts from sync_runs where tenant_id = ${quietTenantId} and kind = 'incremental' order by id desc limit 1`;
    expect(run).toEqual({ outcome: 'completed', counts: { auth: 0 } });
    const authLog = '/admin/v2/logs/authentication';
    expect(requests(after.requests.byEndpoint[authLog]) - requests(before.requests.byEndpoint[authLog])).toBe(1);
    expect(requests(after.requests.byClass.log) - requests(before.requests.byClass.log)).toBe(1);
    expect(requests(after.requests.byClass.object) - requests(before.requests.byClass.object)).toBe(0);
  }, 60_000);

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
