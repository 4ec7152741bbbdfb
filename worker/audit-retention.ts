import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Queryable } from '../db/client.js';
import { pruneAudit } from '../db/audit-log.js';

/** Audit rows age by days; an hourly pass keeps the table within a day of AUDIT_RETENTION_DAYS. */
export const AUDIT_PRUNE_INTERVAL_MS = 3_600_000;

/**
 * Deletes audit rows older than AUDIT_RETENTION_DAYS at worker start and then hourly. Every worker
 * runs it; concurrent passes delete disjoint or already-deleted rows, which is harmless.
 */
export function startAuditRetention(options: { db: Queryable; config: Pick<Config, 'AUDIT_RETENTION_DAYS'>; logger: Logger }): { stop(): void } {
  const prune = async () => {
    try {
      const deleted = await pruneAudit(options.db, options.config.AUDIT_RETENTION_DAYS, Date.now());
      if (deleted > 0) options.logger.info({ deleted, retentionDays: options.config.AUDIT_RETENTION_DAYS }, 'audit rows past retention deleted');
    } catch (error) {
      options.logger.error({ err: error }, 'audit retention pass failed; will retry');
    }
  };
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= prune().finally(() => {
      running = undefined;
    });
  };
  tick();
  const timer = setInterval(tick, AUDIT_PRUNE_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
