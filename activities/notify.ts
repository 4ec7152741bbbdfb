import { request } from 'undici';
import type { Notification } from '../workflows/notifications.js';
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
