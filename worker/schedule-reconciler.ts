import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import { runReconciliationPass } from '../integrations/reconciliation-pass.js';
import { sendNotification } from '../activities/notify.js';
import { maintainEventStorage } from '../integrations/data-retention.js';
import { checkRetentionHorizon } from '../integrations/retention-alarm.js';

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
 * Runs reconciliation, the retention-horizon watch and event storage maintenance (partitions ahead,
 * data retention: integrations/data-retention.ts) at worker start and then every
 * RECONCILE_INTERVAL_SECONDS. The three are independent: the retention watch and the storage
 * maintenance need only Postgres, so they go on while Temporal is down. Reconciliation runs on one
 * worker at a time (integrations/reconciliation-pass.ts): the others skip their turn.
 */
export function startScheduleReconciler(options: { client: Client; db: Database; config: Config; logger: Logger }): { stop(): void; runOnce(): Promise<void> } {
  const { logger } = options;
  const reconcile = async () => {
    try {
      const pass = await runReconciliationPass(options);
      if (!pass.ran) return logger.debug('schedule reconciliation under way on another worker; skipped');
      const { report } = pass;
      logger[report.visited > 0 ? 'info' : 'debug']({ mode: report.mode, visited: report.visited, updated: report.updated.length }, 'schedule reconciliation pass');
      if (report.created.length || report.deleted.length) {
        logger.warn({ created: report.created, deleted: report.deleted }, 'schedules repaired to match Postgres');
      }
      if (report.failed.length) logger.error({ failed: report.failed }, 'schedule reconciliation failed for some tenants; will retry');
    } catch (error) {
      logger.error({ err: error }, 'schedule reconciliation failed; will retry');
    }
  };
  const watchRetention = async () => {
    try {
      for (const notification of await checkRetentionHorizon(options.db)) {
        logger.warn({ tenantId: notification.tenantId, details: notification.details }, 'retention horizon near: data about to become unrecoverable');
        void notifyWithRetries(options.config, logger, notification);
      }
    } catch (error) {
      logger.error({ err: error }, 'retention horizon check failed; will retry');
    }
  };
  // Each never overlaps itself, and neither waits for the other: a reconciliation stuck on an
  // unreachable Temporal does not hold back the next retention check.
  const single = (task: () => Promise<void>) => {
    let running: Promise<void> | undefined;
    return () =>
      (running ??= task().finally(() => {
        running = undefined;
      }));
  };
  const maintainStorage = async () => {
    try {
      const report = await maintainEventStorage(options.db, options.config, Date.now());
      if (report.createdPartitions.length || report.droppedPartitions.length || report.deletedEvents || report.deletedRollupRows) {
        logger.info(report, 'event storage maintained: partitions ahead, retention applied');
      }
    } catch (error) {
      logger.error({ err: error }, 'event storage maintenance failed; will retry');
    }
  };
  const retentionOnce = single(watchRetention);
  const reconcileOnce = single(reconcile);
  const storageOnce = single(maintainStorage);
  const runOnce = () => Promise.all([retentionOnce(), reconcileOnce(), storageOnce()]).then(() => undefined);
  void runOnce();
  const timer = setInterval(() => void runOnce(), options.config.RECONCILE_INTERVAL_SECONDS * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
