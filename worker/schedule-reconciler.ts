import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Queryable } from '../db/client.js';
import { reconcileSchedules } from '../client/reconcile-schedules.js';
import { sendNotification } from '../activities/notify.js';
import { checkRetentionHorizon } from './retention-watch.js';

/** Up to three spaced attempts; a webhook that stays down is logged, never retried forever. */
async function notifyWithRetries(config: Config, logger: Logger, notification: Parameters<typeof sendNotification>[1]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sendNotification({ config }, notification);
      return;
    } catch (error) {
      if (attempt >= 3) return logger.warn({ err: error, type: notification.type, tenantId: notification.tenantId }, 'webhook failed; giving up');
      await new Promise((resolve) => setTimeout(resolve, 2_000 * 2 ** attempt));
    }
  }
}

/**
 * Runs reconciliation and the retention-horizon watch at worker start and then every
 * RECONCILE_INTERVAL_SECONDS; never overlaps itself.
 */
export function startScheduleReconciler(options: { client: Client; db: Queryable; config: Config; logger: Logger }): { stop(): void; runOnce(): Promise<void> } {
  let running: Promise<void> | undefined;
  const runOnce = () => {
    running ??= reconcileSchedules(options.client, options.db, options.config)
      .then(async (report) => {
        if (report.created.length || report.deleted.length) {
          options.logger.warn({ created: report.created, deleted: report.deleted }, 'schedules repaired to match Postgres');
        }
        for (const notification of await checkRetentionHorizon(options.db)) {
          options.logger.warn({ tenantId: notification.tenantId, details: notification.details }, 'retention horizon near: data about to become unrecoverable');
          void notifyWithRetries(options.config, options.logger, notification);
        }
      })
      .catch((error: unknown) => options.logger.error({ err: error }, 'schedule reconciliation failed; will retry'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void runOnce();
  const timer = setInterval(() => void runOnce(), options.config.RECONCILE_INTERVAL_SECONDS * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
