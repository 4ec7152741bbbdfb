import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { createActivities } from '../../activities/index.js';
import { initialSyncWorkflowId, tenantPurgeWorkflowId } from '../../workflows/definitions.js';
import { notificationDeliveryWorkflowId } from '../../workflows/notification-delivery.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

interface ScheduledActivity {
  type: string;
  summary: string | undefined;
}

/** Every ActivityTaskScheduled event of the workflow's history, with the summary the UI shows. */
async function scheduledActivities(handle: WorkflowHandle): Promise<ScheduledActivity[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((event) => {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (!scheduled) return [];
    const summary = event.userMetadata?.summary;
    return [{ type: scheduled.activityType?.name ?? '', summary: summary ? defaultPayloadConverter.fromPayload<string>(summary as Payload) : undefined }];
  });
}

const withoutSummary = (activities: ScheduledActivity[]) => activities.filter((a) => !a.summary?.trim()).map((a) => a.type);

describe('activity summaries in workflow histories', () => {
  const account = makeAccount({ dataset: { seed: 77, users: 12, groups: 3, authEvents: 150, days: 2 } });
  const tenantId = 'summaries';
  let harness: SyncHarness;
  let receiver: WebhookReceiver;
  const seen: ScheduledActivity[] = [];
  let runs = 0;

  const startIncremental = () =>
    harness.temporal.workflow.start('incrementalSync', {
      taskQueue: harness.api.config.TEMPORAL_TASK_QUEUE,
      workflowId: `summaries-run-${(runs += 1)}-${Date.now()}`,
      args: [{ tenantId }],
    });
  const settle = (promise: Promise<unknown>) => promise.catch((error: unknown) => { if (!(error instanceof WorkflowFailedError)) throw error; });
  const record = async (handle: WorkflowHandle) => {
    const activities = await scheduledActivities(handle);
    seen.push(...activities);
    return activities;
  };

  beforeAll(async () => {
    receiver = await startWebhookReceiver('ok');
    harness = await startSyncHarness({ accounts: [account], env: receiver.env });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    await receiver?.close();
  });

  it('an initial sync: every activity has a summary', async () => {
    const activities = await record(harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)));
    expect(activities.map((a) => a.type)).toEqual(expect.arrayContaining(['beginInitialSync', 'recordInitialSyncPhase', 'syncRoster', 'syncAuthLogWindow', 'completeInitialSync']));
    expect(withoutSummary(activities)).toEqual([]);
  });

  it('an incremental run with a roster refresh: every activity has a summary', async () => {
    await harness.api.database.sql`update duo_integrations set last_roster_sync_at = null where tenant_id = ${tenantId}`;
    // The sweep due too, so this step-by-step run schedules it on its own.
    await harness.api.database.sql`delete from late_log_sweeps where tenant_id = ${tenantId}`;
    const handle = await startIncremental();
    await handle.result();
    const activities = await record(handle);
    expect(activities.map((a) => a.type)).toEqual(expect.arrayContaining(['runIncrementalSync', 'syncLogIncrement', 'sweepLateLogs', 'syncRoster', 'finishIncrementalRun']));
    expect(withoutSummary(activities)).toEqual([]);
  });

  it('a cancelled run: every activity has a summary', async () => {
    await harness.simulator.control.setFaults(account.integrationKey, { slowRate: 1, slowMs: 5_000 });
    try {
      const handle = await startIncremental();
      await waitFor('the run to be paging Duo', async () => ((await handle.describe()).raw.pendingActivities ?? []).length > 0, 20_000);
      await handle.cancel();
      await settle(handle.result());
      const activities = await record(handle);
      expect(activities.map((a) => a.type)).toContain('recordRunCancelled');
      expect(withoutSummary(activities)).toEqual([]);
    } finally {
      await harness.simulator.control.setFaults(account.integrationKey, {});
    }
  }, 60_000);

  it('a run that fails and pauses, and its webhook delivery: every activity has a summary', async () => {
    await harness.simulator.control.revoke(account.integrationKey, { keys: true });
    const handle = await startIncremental();
    await settle(handle.result());
    const activities = await record(handle);
    expect(activities.map((a) => a.type)).toEqual(expect.arrayContaining(['finishIncrementalRun', 'pauseForAttention', 'startNotificationDelivery']));
    expect(withoutSummary(activities)).toEqual([]);

    const delivery = harness.temporal.workflow.getHandle(notificationDeliveryWorkflowId(tenantId, handle.firstExecutionRunId));
    await delivery.result();
    const deliveries = await record(delivery);
    // sync.failing and integration.needs_attention (rejected keys need a human).
    expect(deliveries.map((a) => a.type)).toEqual(['sendNotification', 'sendNotification']);
    expect(withoutSummary(deliveries)).toEqual([]);
  }, 60_000);

  it('an initial sync that fails on rejected keys: every activity has a summary', async () => {
    await harness.simulator.control.revoke(account.integrationKey, { keys: true });
    const now = Date.now();
    const handle = await harness.temporal.workflow.start('initialSync', {
      taskQueue: harness.api.config.TEMPORAL_TASK_QUEUE,
      workflowId: `summaries-initial-${now}`,
      args: [{ tenantId, anchorMs: now - 60_000, backfillStartMs: now - 86_400_000 }],
    });
    await settle(handle.result());
    const activities = await record(handle);
    expect(activities.map((a) => a.type)).toEqual(expect.arrayContaining(['failInitialSync', 'pauseForAttention']));
    expect(withoutSummary(activities)).toEqual([]);
  }, 60_000);

  it('a purge of the tenant: every activity has a summary', async () => {
    const response = await harness.api.app.inject({ method: 'DELETE', url: `/v1/tenants/${tenantId}/integrations/duo?purge=true`, headers: harness.api.auth });
    expect(response.statusCode).toBe(202);
    const handle = harness.temporal.workflow.getHandle(tenantPurgeWorkflowId(tenantId));
    await handle.result();
    const activities = await record(handle);
    expect(activities.map((a) => a.type)).toEqual(expect.arrayContaining(['stopTenantSyncs', 'purgeTenantDataSlice', 'finishTenantPurge']));
    expect(withoutSummary(activities)).toEqual([]);
  }, 60_000);

  it('the histories above schedule every activity the worker has, and no summary holds a secret', () => {
    // Runs recorded before the one-activity patch scheduled their plan on its own; new runs plan
    // inside runIncrementalSync, so only replayed histories schedule it.
    const replayOnly = ['beginIncrementalRun'];
    const all = Object.keys(createActivities({} as ActivityDeps)).filter((name) => !replayOnly.includes(name)).sort();
    expect([...new Set(seen.map((a) => a.type))].sort()).toEqual(all);
    expect(JSON.stringify(seen)).not.toContain(account.secretKey);
  });
});
