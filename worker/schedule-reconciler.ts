import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Queryable } from '../db/client.js';
import { reconcileSchedules } from '../client/reconcile-schedules.js';

/** Runs reconciliation at worker start and then every RECONCILE_INTERVAL_SECONDS; never overlaps itself. */
export function startScheduleReconciler(options: { client: Client; db: Queryable; config: Config; logger: Logger }): { stop(): void; runOnce(): Promise<void> } {
  let running: Promise<void> | undefined;
  const runOnce = () => {
    running ??= reconcileSchedules(options.client, options.db, options.config)
      .then((report) => {
        if (report.created.length || report.deleted.length) {
          options.logger.warn({ created: report.created, deleted: report.deleted }, 'schedules repaired to match Postgres');
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
