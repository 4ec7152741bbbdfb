import { describe, expect, it } from 'vitest';
import { BACKFILL_WINDOW_MS } from '../../workflows/definitions.js';
import type { initialSync } from '../../workflows/initial-sync.js';
import type { InitialSyncInput, LogWindowInput, SyncTotals } from '../../workflows/types.js';
import { fakeActivities } from '../helpers/fake-activities.js';
import { workflowTestHarness } from '../helpers/workflow-environment.js';

const tenantId = 'fake-budget-tenant';
const anchorMs = Date.UTC(2026, 10, 20);
const rosterTotals = { users: 3, groups: 2 };
const inputOf = (windows: number, windowConcurrency?: number): InitialSyncInput => ({
  tenantId,
  anchorMs,
  backfillStartMs: anchorMs - windows * BACKFILL_WINDOW_MS,
  ...(windowConcurrency === undefined ? {} : { windowConcurrency }),
});

describe('initialSync waiting for the Duo budget on a timer (workflow code, fake activities)', () => {
  const harness = workflowTestHarness();
  const workflowId = () => `duo-initial-sync:${tenantId}-${Math.random().toString(36).slice(2)}`;

  it('asks every window to hand back its slot when the budget makes it wait', async () => {
    const fakes = fakeActivities();
    await harness.withWorker(fakes.activities, (taskQueue) =>
      harness.client.workflow.execute<typeof initialSync>('initialSync', { workflowId: workflowId(), taskQueue, args: [inputOf(2)] }),
    );

    expect(fakes.argsOf('syncAuthLogWindow').map(([window]) => window.yieldOnBudgetWait)).toEqual([true, true]);
  });

  it('sleeps until the next token is due, then calls the window again as a new activity, and counts its last answer', async () => {
    const waitMs = 1_500;
    const callsAt: number[] = [];
    const fakes = fakeActivities({
      // Two budget waits, then the rest of the window: cumulative counts, as the real activity reads them from Postgres.
      syncAuthLogWindow: async () => {
        callsAt.push(Date.now());
        if (callsAt.length <= 2) return { events: 4 * callsAt.length, pages: callsAt.length, expired: false, budgetWaitUntilMs: Date.now() + waitMs };
        return { events: 12, pages: 3, expired: false };
      },
    });
    const totals = await harness.withWorker(fakes.activities, (taskQueue) =>
      harness.client.workflow.execute<typeof initialSync>('initialSync', { workflowId: workflowId(), taskQueue, args: [inputOf(1)] }),
    );

    const expected: SyncTotals = { ...rosterTotals, events: 12, windowsDone: 1 };
    expect(totals).toEqual(expected);
    const windowCalls = fakes.calls.filter((call) => call.name === 'syncAuthLogWindow');
    // Each call a first attempt: the wait is a timer in the workflow, not a retry or a sleeping activity.
    expect(windowCalls.map((call) => call.attempt)).toEqual([1, 1, 1]);
    // Timers can fire a few milliseconds early relative to the activity's clock; never a whole wait early.
    expect((callsAt[1] as number) - (callsAt[0] as number)).toBeGreaterThanOrEqual(waitMs - 100);
    expect((callsAt[2] as number) - (callsAt[1] as number)).toBeGreaterThanOrEqual(waitMs - 100);
    expect(windowCalls.map((call) => (call.args[0] as LogWindowInput).windowEndMs)).toEqual([anchorMs, anchorMs, anchorMs]);
  });

  it('waits for one window on its timer while the other windows of its batch finish', async () => {
    let waited = false;
    const fakes = fakeActivities({
      syncAuthLogWindow: async (window) => {
        if (window.windowEndMs === anchorMs && !waited) {
          waited = true;
          return { events: 0, pages: 0, expired: false, budgetWaitUntilMs: Date.now() + 500 };
        }
        return { events: 10, pages: 1, expired: false };
      },
    });
    const totals = await harness.withWorker(fakes.activities, (taskQueue) =>
      harness.client.workflow.execute<typeof initialSync>('initialSync', { workflowId: workflowId(), taskQueue, args: [inputOf(3, 3)] }),
    );

    expect(totals).toEqual({ ...rosterTotals, events: 30, windowsDone: 3 });
    expect(fakes.argsOf('syncAuthLogWindow')).toHaveLength(4);
    expect(fakes.argsOf('completeInitialSync')).toHaveLength(1);
  });

  it('fetches at most the configured number of windows at once', async () => {
    let running = 0;
    let most = 0;
    const fakes = fakeActivities({
      syncAuthLogWindow: async () => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 100));
        running -= 1;
        return { events: 1, pages: 1, expired: false };
      },
    });
    const totals = await harness.withWorker(fakes.activities, (taskQueue) =>
      harness.client.workflow.execute<typeof initialSync>('initialSync', { workflowId: workflowId(), taskQueue, args: [inputOf(5, 2)] }),
    );

    expect(totals.windowsDone).toBe(5);
    expect(most).toBe(2);
  });
});
