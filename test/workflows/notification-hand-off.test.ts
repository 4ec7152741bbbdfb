import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities/index.js';
import { startNotificationDelivery } from '../../activities/notify.js';
import { notificationHandOffActivityOptions } from '../../workflows/activity-options.js';
import { BACKFILL_WINDOW_MS } from '../../workflows/definitions.js';
import type { incrementalSync } from '../../workflows/incremental-sync.js';
import type { initialSync } from '../../workflows/initial-sync.js';
import { deliverNotifications, notificationDeliveryWorkflowId } from '../../workflows/notification-delivery.js';
import type { Notification } from '../../workflows/notifications.js';
import type { DeliverNotificationsWorkflow, InitialSyncInput } from '../../workflows/types.js';
import { testConfig } from '../helpers/config.js';
import { fakeActivities, type FakeActivities } from '../helpers/fake-activities.js';
import { workflowTestHarness } from '../helpers/workflow-environment.js';

const tenantId = 'notified-tenant';
const anchorMs = Date.UTC(2026, 10, 20);
const initialInput: InitialSyncInput = { tenantId, anchorMs, backfillStartMs: anchorMs - 2 * BACKFILL_WINDOW_MS };
const recovered: Notification = { type: 'sync.recovered', tenantId, at: '2026-11-20T00:05:00.000Z', details: { afterFailures: 2 } };
/** What the Temporal client throws when the server does not answer: a plain, retryable error. */
const unreachableTemporal = () => new Error('14 UNAVAILABLE: No connection established');
const atRisk: Notification = { type: 'retention.at_risk', tenantId, at: '2026-11-20T00:05:00.000Z', details: { stream: 'auth' } };

describe('webhook hand-off from the sync workflows (workflow code, fake activities)', () => {
  const harness = workflowTestHarness();

  /**
   * A worker whose hand-off is the real startNotificationDelivery (it starts `deliverNotifications`
   * on this test's queue through the environment's client); every other activity is a fake.
   */
  function handOffToRealDelivery(overrides: Partial<Activities>): { fakes: FakeActivities; taskQueue: string } {
    const config = testConfig({ NOTIFY_WEBHOOK_URL: 'http://127.0.0.1:9/hook' });
    const fakes = fakeActivities({ startNotificationDelivery: (input) => startNotificationDelivery({ config, temporal: harness.client }, input), ...overrides });
    return { fakes, taskQueue: config.TEMPORAL_TASK_QUEUE };
  }

  /** Waits for the delivery workflow a sync run started and returns how many events it delivered. */
  const deliveredFor = (runId: string) => harness.client.workflow.getHandle<DeliverNotificationsWorkflow>(notificationDeliveryWorkflowId(tenantId, runId)).result();

  it('starts the delivery workflow with the completed initial sync\'s event, and the delivery posts it', async () => {
    const { fakes, taskQueue } = handOffToRealDelivery({});
    const { totals, delivered } = await harness.withWorker(
      fakes.activities,
      async () => {
        const handle = await harness.client.workflow.start<typeof initialSync>('initialSync', { workflowId: `duo-initial-sync:${tenantId}-${Date.now()}`, taskQueue, args: [initialInput] });
        return { totals: await handle.result(), delivered: await deliveredFor(handle.firstExecutionRunId) };
      },
      { taskQueue },
    );

    expect(delivered).toBe(1);
    expect(fakes.argsOf('sendNotification')).toEqual([[{ type: 'initial_sync.completed', tenantId, at: expect.any(String), details: { ...totals } }]]);
  });

  it('starts the delivery workflow with an incremental run\'s events, which the delivery posts in order', async () => {
    const { fakes, taskQueue } = handOffToRealDelivery({
      finishIncrementalRun: async () => ({ consecutiveFailures: 0, pauseNow: false, notifications: [recovered, atRisk] }),
    });
    const delivered = await harness.withWorker(
      fakes.activities,
      async () => {
        const handle = await harness.client.workflow.start<typeof incrementalSync>('incrementalSync', { workflowId: `duo-incremental:${tenantId}-${Date.now()}`, taskQueue, args: [{ tenantId }] });
        await handle.result();
        return deliveredFor(handle.firstExecutionRunId);
      },
      { taskQueue },
    );

    expect(delivered).toBe(2);
    expect(fakes.argsOf('sendNotification')).toEqual([[recovered], [atRisk]]);
  });

  it('completes the initial sync when the hand-off keeps failing', async () => {
    const fakes = fakeActivities({
      startNotificationDelivery: async () => {
        throw unreachableTemporal();
      },
    });
    const totals = await harness.withWorker(fakes.activities, (taskQueue) =>
      harness.client.workflow.execute<typeof initialSync>('initialSync', { workflowId: `duo-initial-sync:${tenantId}-${Date.now()}`, taskQueue, args: [initialInput] }),
    );

    expect(totals).toEqual({ users: 3, groups: 2, events: 20, windowsDone: 2 });
    expect(fakes.argsOf('startNotificationDelivery')).toHaveLength(notificationHandOffActivityOptions.retry?.maximumAttempts ?? 0);
  });

  it('completes the incremental run when the hand-off keeps failing', async () => {
    const fakes = fakeActivities({
      finishIncrementalRun: async () => ({ consecutiveFailures: 0, pauseNow: false, notifications: [recovered] }),
      startNotificationDelivery: async () => {
        throw unreachableTemporal();
      },
    });
    const result = await harness.withWorker(fakes.activities, (taskQueue) =>
      harness.client.workflow.execute<typeof incrementalSync>('incrementalSync', { workflowId: `duo-incremental:${tenantId}-${Date.now()}`, taskQueue, args: [{ tenantId }] }),
    );

    expect(result).toEqual({ counts: { auth: 5 } });
    expect(fakes.argsOf('startNotificationDelivery')).toHaveLength(notificationHandOffActivityOptions.retry?.maximumAttempts ?? 0);
  });

  it('counts only the events the receiver took: none while no webhook is configured', async () => {
    const fakes = fakeActivities({ sendNotification: async () => false });
    const delivered = await harness.withWorker(fakes.activities, (taskQueue) =>
      // Typed by the signature the hand-off activity starts it with.
      harness.client.workflow.execute<DeliverNotificationsWorkflow>(deliverNotifications, {
        workflowId: notificationDeliveryWorkflowId(tenantId, `direct-${Date.now()}`),
        taskQueue,
        args: [{ tenantId, notifications: [recovered, atRisk] }],
      }),
    );

    expect(delivered).toBe(0);
    expect(fakes.argsOf('sendNotification')).toEqual([[recovered], [atRisk]]);
  });
});
