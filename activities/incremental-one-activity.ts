import type { Notification } from '../workflows/notifications.js';
import type { RunRef } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { beginIncrementalRun, finishIncrementalRun, type IncrementalPlan } from './incremental-run.js';
import { sweepLateLogs, type LateLogSweepResult } from './late-log-sweep.js';
import { syncLogIncrement, type LogIncrementResult } from './sync-log-increment.js';

/** Calls of one stream per run while it catches up a day at a time (the workflow's own limit). */
export const MAX_INCREMENTS_PER_STREAM = 7;

/**
 * What one whole-run activity did. `finished`: planned, paged auth, swept if due and recorded the
 * run as completed; the workflow only shows the counts and hands off the notifications. Otherwise
 * the run needs more than auth (roster due, optional streams): the run is recorded and planned, and
 * the workflow carries on step by step from `plan`.
 */
export type WholeRunResult =
  | { finished: true; counts: Record<string, number>; notifications: Notification[] }
  | { finished: false; plan: IncrementalPlan };

/** The steps a whole run is made of (the activities the multi-activity path schedules one by one). */
export interface WholeRunSteps {
  begin(run: RunRef): Promise<IncrementalPlan>;
  increment(input: { tenantId: string; stream: 'auth' }): Promise<LogIncrementResult>;
  sweep(input: { tenantId: string }): Promise<LateLogSweepResult>;
  finish(run: RunRef, result: { outcome: 'completed'; counts: Record<string, number> }): Promise<{ notifications: Notification[] }>;
}

/**
 * The common run in one activity, because a hosted Temporal bills every activity: begin, auth
 * increments, the sweep when due, finish. Every step is idempotent (the run row, checkpoints and the
 * sweep's cursor are in Postgres), so a retry of the whole activity repeats nothing that counts. A
 * failure leaves the run open and reaches the workflow, which records it as today.
 */
export async function runWholeIncrementalRun(steps: WholeRunSteps, run: RunRef): Promise<WholeRunResult> {
  const plan = await steps.begin(run);
  if (plan.rosterDue || plan.streams.some((stream) => stream !== 'auth')) return { finished: false, plan };
  const counts: Record<string, number> = {};
  let total = 0;
  let paused = false;
  for (let i = 0; i < MAX_INCREMENTS_PER_STREAM; i++) {
    const result = await steps.increment({ tenantId: run.tenantId, stream: 'auth' });
    total += result.events;
    // Paused meanwhile: stopped at a page boundary; no further Duo request in this run.
    paused = result.paused === true;
    if (paused || result.caughtUp || result.runBudgetSpent) break;
  }
  counts.auth = total;
  if (plan.lateSweepDue === true && !paused) {
    const sweep = await steps.sweep({ tenantId: run.tenantId });
    if (sweep.swept) counts.lateAuth = sweep.found;
  }
  const outcome = await steps.finish(run, { outcome: 'completed', counts });
  return { finished: true, counts, notifications: outcome.notifications };
}

/** The activity: the whole run with the production steps. */
export async function runIncrementalSync(deps: ActivityDeps, run: RunRef): Promise<WholeRunResult> {
  return runWholeIncrementalRun(
    {
      begin: (r) => beginIncrementalRun(deps, r),
      increment: (input) => syncLogIncrement(deps, input),
      sweep: (input) => sweepLateLogs(deps, input),
      finish: (r, result) => finishIncrementalRun(deps, r, result),
    },
    run,
  );
}
