import { createHash, createHmac } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { request } from 'undici';
import type { Queryable } from '../db/client.js';
import { findIntegration } from '../db/integrations.js';
import { webhookTarget } from '../integrations/webhooks.js';
import { tenantIdSearchAttribute } from '../workflows/definitions.js';
import type { Notification } from '../workflows/notifications.js';
import type { DeliverNotificationsInput, DeliverNotificationsWorkflow } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

/** Header of the delivery's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'duo-sync-signature';
/** Header of the event's id (also `id` in the body): the same on every retry of one event. */
export const EVENT_ID_HEADER = 'duo-sync-event-id';

/** The signature header's value for a body sent at `timestampSec`. */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
  return `t=${timestampSec},v1=${v1}`;
}

/** An event id from what makes the event unique; the same origin always gives the same id. */
export const eventIdFrom = (origin: string): string => `evt_${createHash('sha256').update(origin).digest('hex').slice(0, 32)}`;

/**
 * The id of the event a delivery activity sends: the same for every attempt of it (its workflow and
 * activity ids are stable across retries), different for every other event. Receivers dedupe on it.
 */
function activityEventId(): string {
  const info = Context.current().info;
  return eventIdFrom(`${info.workflowExecution?.workflowId ?? ''}/${info.workflowExecution?.runId ?? ''}/${info.activityId}`);
}

export type WebhookDeps = Pick<ActivityDeps, 'config' | 'keyring'> & { db: Queryable };

/**
 * POSTs one event to the tenant's receiver (its own, else NOTIFY_WEBHOOK_URL), signed with its
 * secret (its own, else NOTIFY_WEBHOOK_SECRET), loaded and unsealed here by tenant id: the secret
 * never enters Temporal. Signed anew on each attempt, so a retry's timestamp is fresh. A non-2xx
 * answer or a network error throws, so Temporal retries it with backoff; the calling workflow never
 * lets a webhook failure fail a sync.
 */
export async function sendNotification(deps: WebhookDeps, notification: Notification): Promise<boolean> {
  return deliverWebhook(deps, notification, activityEventId());
}

/** One signed POST of one event with its id; false when the tenant has no receiver. */
export async function deliverWebhook(deps: WebhookDeps, notification: Notification, id: string): Promise<boolean> {
  const target = webhookTarget(deps, await findIntegration(deps.db, notification.tenantId));
  if (!target) return false;
  const body = JSON.stringify({ id, ...notification });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'duo-usage-sync', [EVENT_ID_HEADER]: id };
  if (target.secret) headers[SIGNATURE_HEADER] = signWebhook(target.secret, Math.floor(Date.now() / 1000), body);
  const response = await request(target.url, {
    method: 'POST',
    headers,
    body,
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
 * has started, so the run never waits for the receiver. Nothing starts when the tenant has no
 * receiver (neither its own nor NOTIFY_WEBHOOK_URL). The workflow id comes from the run: a retried
 * attempt finds the delivery already started.
 */
export async function startNotificationDelivery(
  deps: Pick<ActivityDeps, 'config' | 'temporal'> & Partial<Pick<ActivityDeps, 'db'>>,
  input: DeliverNotificationsInput & { workflowId: string },
): Promise<boolean> {
  if (input.notifications.length === 0) return false;
  // The worker always passes its database; without one (hand-off tests) only NOTIFY_WEBHOOK_URL counts.
  const tenantUrl = deps.db ? (await findIntegration(deps.db, input.tenantId))?.webhookUrl : undefined;
  if (!deps.config.NOTIFY_WEBHOOK_URL && !tenantUrl) return false;
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
