import { Context } from '@temporalio/activity';
import { withTypedFailures } from '../../activities/failures.js';
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
    (Object.keys(implementations) as ActivityName[]).map((name) => {
      const implementation = implementations[name] as (...args: unknown[]) => Promise<unknown>;
      const recorded = async (...args: unknown[]) => {
        const { taskQueue, attempt } = Context.current().info;
        calls.push({ name, args, taskQueue, attempt });
        return implementation(...args);
      };
      return [name, withTypedFailures(recorded)];
    }),
  ) as unknown as Activities;
  return {
    activities,
    calls,
    argsOf: (name) => calls.filter((call) => call.name === name).map((call) => call.args as Parameters<Activities[typeof name]>),
  };
}
