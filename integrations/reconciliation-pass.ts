import type { Client } from '@temporalio/client';
import type { Config } from '../config/config.js';
import { withTryAdvisoryLock } from '../db/advisory-lock.js';
import type { Database } from '../db/client.js';
import { readReconcilerState, recordReconcilerPass } from '../db/schedule-reconciliation.js';
import { reconcileSchedules, type ReconcileReport } from './reconcile-schedules.js';

/** Name of the advisory lock and of the reconciler_state row. */
export const SCHEDULE_RECONCILER = 'schedule-reconciler';

export type ReconciliationPass = { ran: false } | { ran: true; report: ReconcileReport };

/**
 * One reconciliation pass, run by one worker at a time: a worker that finds another one's pass under
 * way skips its turn (the lock is never waited for). The pass is changed-only, except when the last
 * full sweep is RECONCILE_FULL_SWEEP_SECONDS old (or never ran), or when the service defaults a
 * schedule is built from (interval, task queue) differ from those of the last sweep.
 */
export async function runReconciliationPass(
  deps: { client: Client; db: Database; config: Config },
  nowMs: number = Date.now(),
): Promise<ReconciliationPass> {
  const { client, db, config } = deps;
  const locked = await withTryAdvisoryLock(db, SCHEDULE_RECONCILER, async () => {
    const state = await readReconcilerState(db, SCHEDULE_RECONCILER);
    const fingerprint = scheduleDefaultsFingerprint(config);
    const sweepDue =
      !state?.lastFullSweepAt ||
      nowMs - state.lastFullSweepAt.getTime() >= config.RECONCILE_FULL_SWEEP_SECONDS * 1000 ||
      state.configFingerprint !== fingerprint;
    const report = await reconcileSchedules(client, db, config, { mode: sweepDue ? 'full' : 'changed' });
    // A sweep Temporal cut short is still owed: the next pass sweeps again.
    const swept = report.mode === 'full' && !report.unreachable;
    await recordReconcilerPass(db, SCHEDULE_RECONCILER, new Date(nowMs), swept ? { configFingerprint: fingerprint } : undefined);
    return report;
  });
  return locked.acquired ? { ran: true, report: locked.value } : { ran: false };
}

/** The service settings every schedule is built from besides the tenant's row (integrations/schedules.ts). */
export function scheduleDefaultsFingerprint(config: Pick<Config, 'SYNC_INTERVAL_MINUTES' | 'TEMPORAL_TASK_QUEUE'>): string {
  return JSON.stringify({ interval: config.SYNC_INTERVAL_MINUTES, queue: config.TEMPORAL_TASK_QUEUE });
}
