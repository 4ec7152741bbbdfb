import type { ActivityDeps } from './deps.js';
import { withTypedFailures } from './failures.js';
import { beginInitialSync, completeInitialSync, failInitialSync, recordInitialSyncPhase, recordRunCancelled } from './initial-sync-state.js';
import { runIncrementalSync } from './incremental-one-activity.js';
import { beginIncrementalRun, finishIncrementalRun, pauseForAttention } from './incremental-run.js';
import { sweepLateLogs } from './late-log-sweep.js';
import { sendNotification, startNotificationDelivery } from './notify.js';
import { syncAuthLogWindow } from './sync-auth-log-window.js';
import { syncLogIncrement } from './sync-log-increment.js';
import { syncRoster } from './sync-roster.js';
import { finishTenantPurge, purgeTenantDataSlice, stopTenantSyncs } from './tenant-purge.js';

type Bound<F> = F extends (deps: ActivityDeps, ...args: infer A) => Promise<infer R> ? (...args: A) => Promise<R> : never;

function bind<F extends (deps: ActivityDeps, ...args: never[]) => Promise<unknown>>(deps: ActivityDeps, fn: F): Bound<F> {
  return withTypedFailures((...args: never[]) => fn(deps, ...args)) as Bound<F>;
}

/**
 * Where activities meet their dependencies (a factory, not a barrel). Workflows proxy
 * `ReturnType<typeof createActivities>` by type only.
 */
export function createActivities(deps: ActivityDeps) {
  return {
    syncRoster: bind(deps, syncRoster),
    syncAuthLogWindow: bind(deps, syncAuthLogWindow),
    beginInitialSync: bind(deps, beginInitialSync),
    recordInitialSyncPhase: bind(deps, recordInitialSyncPhase),
    completeInitialSync: bind(deps, completeInitialSync),
    failInitialSync: bind(deps, failInitialSync),
    recordRunCancelled: bind(deps, recordRunCancelled),
    beginIncrementalRun: bind(deps, beginIncrementalRun),
    syncLogIncrement: bind(deps, syncLogIncrement),
    sweepLateLogs: bind(deps, sweepLateLogs),
    finishIncrementalRun: bind(deps, finishIncrementalRun),
    runIncrementalSync: bind(deps, runIncrementalSync),
    pauseForAttention: bind(deps, pauseForAttention),
    sendNotification: bind(deps, sendNotification),
    startNotificationDelivery: bind(deps, startNotificationDelivery),
    stopTenantSyncs: bind(deps, stopTenantSyncs),
    purgeTenantDataSlice: bind(deps, purgeTenantDataSlice),
    finishTenantPurge: bind(deps, finishTenantPurge),
  };
}

export type Activities = ReturnType<typeof createActivities>;
