import { ActivityFailure, ApplicationFailure, CancellationScope, proxyActivities, type ActivityFunctionWithOptions, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { nonRetryableErrorCodes } from '../errors/codes.js';
import { bookkeepingActivityOptions } from './activity-options.js';
import type { FailureNote, RunRef } from './types.js';

/** Where a run's activities go; unset means the workflow's own task queue. */
export interface QueueOption {
  taskQueue?: string;
}

type ActivityName = keyof Activities;
type ActivityCall = <K extends ActivityName>(name: K, summary: string, ...args: Parameters<Activities[K]>) => Promise<Awaited<ReturnType<Activities[K]>>>;

/** One run's activity calls: each with its kind's options, the run's queue, and a summary the UI shows. */
export interface RunSteps {
  /** Short Postgres bookkeeping. */
  bookkeeping: ActivityCall;
  /** Duo paging, with the options the workflow gives its paging activities. */
  paging: ActivityCall;
  /** Records the run as cancelled; runs to the end although the workflow itself is being cancelled. */
  recordCancelled(run: RunRef, counts: Record<string, number>): Promise<void>;
}

function callWith(options: ActivityOptions, queue: QueueOption): ActivityCall {
  // The proxy's options and the call's are the same set: each call schedules exactly these options.
  const activities = proxyActivities<Activities>(options);
  return <K extends ActivityName>(name: K, summary: string, ...args: Parameters<Activities[K]>) => {
    // Every member of Activities is an activity function; TypeScript cannot see that through a generic key.
    const activity = activities[name] as ActivityFunctionWithOptions<Activities[K]>;
    return activity.executeWithOptions({ ...options, ...queue, summary }, args);
  };
}

export function runSteps(pagingOptions: ActivityOptions, queue: QueueOption = {}): RunSteps {
  const bookkeeping = callWith(bookkeepingActivityOptions, queue);
  return {
    bookkeeping,
    paging: callWith(pagingOptions, queue),
    recordCancelled: (run, counts) =>
      CancellationScope.nonCancellable(() => bookkeeping('recordRunCancelled', 'Record the run as cancelled', run, counts)),
  };
}

export function isNonRetryable(code: string): boolean {
  return (nonRetryableErrorCodes as string[]).includes(code);
}

/** The code and safe message of what failed (activity failures carry our typed ApplicationFailure). */
export function describeFailure(error: unknown): FailureNote {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type) return { code: cause.type, message: cause.message };
  if (cause instanceof Error) return { code: 'SYNC_FAILED', message: cause.message.slice(0, 500) };
  return { code: 'SYNC_FAILED', message: 'unknown failure' };
}

/** The activity failure no retry can fix (one of our non-retryable codes), or undefined for anything else. */
export function nonRetryableActivityFailure(error: unknown): FailureNote | undefined {
  if (!(error instanceof ActivityFailure)) return undefined;
  const failure = describeFailure(error);
  return isNonRetryable(failure.code) ? failure : undefined;
}

/** What ends a failed run: typed and non-retryable, so operators see the code (e.g. DUO_CREDENTIALS_REJECTED) in the UI. */
export function runFailure(failure: FailureNote): ApplicationFailure {
  return ApplicationFailure.create({ type: failure.code, message: failure.message, nonRetryable: true });
}
