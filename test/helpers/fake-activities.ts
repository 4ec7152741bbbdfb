import { Context } from '@temporalio/activity';
import { withTypedFailures } from '../../activities/failures.js';
import { runWholeIncrementalRun } from '../../activities/incremental-one-activity.js';
import type { Activities } from '../../activities/index.js';

export type ActivityName = keyof Activities;

/** One attempt of an activity as the worker ran it. */
export interface ActivityCall {
  name: ActivityName;
  args: unknown[];
  /** The task queue the workflow scheduled it on. */
  taskQueue: string;
  attempt: number;
}

export interface FakeActivities {
  /** What the worker registers: each fake behind the production AppError -> ApplicationFailure mapping. */
  activities: Activities;
  /** Every attempt, in the order they started. */
  calls: ActivityCall[];
  /** The arguments of every attempt of one activity. */
  argsOf<K extends ActivityName>(name: K): Parameters<Activities[K]>[];
}

/** A small, successful answer from every activity: a tenant with a few users, events in each window. */
const successfulActivities: Activities = {
  syncRoster: async () => ({ users: 3, groups: 2, memberships: 4, usersMarkedDeleted: 0, groupsMarkedDeleted: 0 }),
  syncAuthLogWindow: async () => ({ events: 10, pages: 1, expired: false }),
  beginInitialSync: async () => {},
  recordInitialSyncPhase: async () => {},
  completeInitialSync: async () => {},
  failInitialSync: async () => {},
  recordRunCancelled: async () => {},
  beginIncrementalRun: async () => ({ streams: ['auth'], rosterDue: false }),
  syncLogIncrement: async () => ({ events: 5, pages: 1, caughtUp: true, syncedThroughMs: 0 }),
  sweepLateLogs: async () => ({ swept: true, found: 2, pages: 1, complete: true }),
  finishIncrementalRun: async () => ({ consecutiveFailures: 0, pauseNow: false, notifications: [] }),
  // Replaced in fakeActivities by the production composition of the (possibly overridden) fakes.
  runIncrementalSync: async () => {
    throw new Error('composed in fakeActivities');
  },
  pauseForAttention: async () => {},
  sendNotification: async () => true,
  startNotificationDelivery: async () => true,
  stopTenantSyncs: async () => {},
  purgeTenantDataSlice: async () => ({ rowsDeleted: 0, batches: 0, done: true }),
  finishTenantPurge: async () => {},
};

/**
 * Inline activity implementations for workflow tests (the only fakes the house allows): every
 * activity answers as `successfulActivities` unless overridden, and every attempt is recorded.
 */
export function fakeActivities(overrides: Partial<Activities> = {}): FakeActivities {
  const calls: ActivityCall[] = [];
  const implementations: Activities = { ...successfulActivities, ...overrides };
  const activities = Object.fromEntries(
    (Object.keys(implementations) as ActivityName[]).map((name) => [name, withTypedFailures(record(name))]),
  ) as unknown as Activities;
  // The whole-run activity runs the production composition over the recorded fakes (each step is
  // recorded as a call of its own, inside the one attempt), unless a test replaces it.
  if (!overrides.runIncrementalSync) {
    activities.runIncrementalSync = withTypedFailures(async (run: Parameters<Activities['runIncrementalSync']>[0]) => {
      calls.push({ name: 'runIncrementalSync', args: [run], ...attemptInfo() });
      return runWholeIncrementalRun(
        {
          begin: (r) => record('beginIncrementalRun')(r) as ReturnType<Activities['beginIncrementalRun']>,
          increment: (input) => record('syncLogIncrement')(input) as ReturnType<Activities['syncLogIncrement']>,
          sweep: (input) => record('sweepLateLogs')(input) as ReturnType<Activities['sweepLateLogs']>,
          finish: (r, result) => record('finishIncrementalRun')(r, result) as ReturnType<Activities['finishIncrementalRun']>,
        },
        run,
      );
    });
  }
  function attemptInfo() {
    const { taskQueue, attempt } = Context.current().info;
    return { taskQueue, attempt };
  }
  function record(name: ActivityName) {
    const implementation = implementations[name] as (...args: unknown[]) => Promise<unknown>;
    return async (...args: unknown[]) => {
      calls.push({ name, args, ...attemptInfo() });
      return implementation(...args);
    };
  }
  return {
    activities,
    calls,
    argsOf: (name) => calls.filter((call) => call.name === name).map((call) => call.args as Parameters<Activities[typeof name]>),
  };
}
