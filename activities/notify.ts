import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { request } from 'undici';
import { tenantIdSearchAttribute } from '../workflows/definitions.js';
import type { Notification } from '../workflows/notifications.js';
import type { DeliverNotificationsInput, DeliverNotificationsWorkflow } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

/**
 * POSTs one event to NOTIFY_WEBHOOK_URL (when set). A non-2xx answer or a network error throws, so
 * Temporal retries it with backoff; the calling workflow never lets a webhook failure fail a sync.
 */
export async function sendNotification(deps: Pick<ActivityDeps, 'config'>, notification: Notification): Promise<boolean> {
  const url = deps.config.NOTIFY_WEBHOOK_URL;
  if (!url) return false;
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'duo-usage-sync' },
    body: JSON.stringify(notification),
    headersTimeout: 10_000,
    bodyTimeout: 10_000, // undici 7 follows no redirects unless asked
  });
  await response.body.dump();
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new Error(`webhook answered ${response.statusCode}`);
  }
  return true;
}

/**
 * Hands a run's events to their own delivery workflow (`deliverNotifications`) and returns once it
 * has started, so the run never waits for the receiver. Nothing starts when no webhook is configured.
 * The workflow id comes from the run: a retried attempt finds the delivery already started.
 */
export async function startNotificationDelivery(
  deps: Pick<ActivityDeps, 'config' | 'temporal'>,
  input: DeliverNotificationsInput & { workflowId: string },
): Promise<boolean> {
  if (!deps.config.NOTIFY_WEBHOOK_URL || input.notifications.length === 0) return false;
  if (!deps.temporal) throw new Error('startNotificationDelivery needs a Temporal client in the activity dependencies');
  const { workflowId, ...args } = input;
  try {
    await deps.temporal.workflow.start<DeliverNotificationsWorkflow>('deliverNotifications', {
      workflowId,
      // Once per run, even when an earlier attempt started it and the delivery has already finished.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [args],
      typedSearchAttributes: [{ key: tenantIdSearchAttribute, value: input.tenantId }],
      staticSummary: `Webhook delivery · tenant ${input.tenantId}: ${input.notifications.map((n) => n.type).join(', ')}`,
      // Past the delivery's own retries: a stuck delivery is closed, never left running.
      workflowExecutionTimeout: '2h',
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return true;
}
