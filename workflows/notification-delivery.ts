import { isCancellation, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { notificationActivityOptions, notificationDeliveryActivityOptions, notificationHandOffActivityOptions } from './activity-options.js';
import type { Notification } from './notifications.js';
import type { QueueOption } from './run-steps.js';
import type { DeliverNotificationsInput } from './types.js';

const webhook = proxyActivities<Activities>(notificationDeliveryActivityOptions);
const handOff = proxyActivities<Activities>(notificationHandOffActivityOptions);
const inline = proxyActivities<Activities>(notificationActivityOptions);

/** Patch id of the change from webhook calls inside the sync to a separate delivery workflow. */
export const NOTIFY_IN_OWN_WORKFLOW = 'notify-in-own-workflow';

/** Plaintext in the UI: tenant id and the run it reports on. */
export const notificationDeliveryWorkflowId = (tenantId: string, runId: string) => `duo-notify:${tenantId}:${runId}`;

/**
 * Posts a run's webhook events, each retried with backoff until it is delivered or given up. Its
 * own workflow, so a slow or dead receiver never keeps a sync run open (and, with overlap SKIP, the
 * next scheduled runs from starting). Returns how many were delivered.
 */
export async function deliverNotifications(input: DeliverNotificationsInput): Promise<number> {
  let delivered = 0;
  for (const notification of input.notifications) {
    try {
      const sent = await webhook.sendNotification.executeWithOptions(
        { ...notificationDeliveryActivityOptions, summary: `Webhook ${notification.type}` },
        [notification],
      );
      if (sent) delivered += 1;
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Given up after the retries: the receiver stayed down; the sync it reports on is unaffected.
    }
  }
  return delivered;
}

/**
 * Called by a sync workflow with its run's events: webhooks never fail or hold a sync. The delivery
 * runs in its own workflow, retried there; runs recorded before that patch sent each event inline.
 */
export async function notifyBestEffort(tenantId: string, notifications: Notification[], queue: QueueOption = {}): Promise<void> {
  if (notifications.length === 0) return;
  if (patched(NOTIFY_IN_OWN_WORKFLOW)) return handOffNotifications(tenantId, notifications, queue);
  for (const notification of notifications) {
    try {
      await inline.sendNotification.executeWithOptions({ ...notificationActivityOptions, summary: `Webhook ${notification.type}` }, [notification]);
    } catch {
      // Given up after the notification retries; the sync itself is unaffected.
    }
  }
}

/**
 * Starts the delivery of a run's events (when a webhook is configured) and returns without waiting
 * for it. Best effort: failing to start it never fails the sync.
 */
async function handOffNotifications(tenantId: string, notifications: Notification[], queue: QueueOption): Promise<void> {
  const workflowId = notificationDeliveryWorkflowId(tenantId, workflowInfo().runId);
  try {
    await handOff.startNotificationDelivery.executeWithOptions(
      { ...notificationHandOffActivityOptions, ...queue, summary: `Start webhook delivery: ${notifications.map((n) => n.type).join(', ')}` },
      [{ workflowId, tenantId, notifications }],
    );
  } catch (error) {
    if (isCancellation(error)) throw error;
    // Not started after a few attempts: the events are lost, the sync is not.
  }
}
