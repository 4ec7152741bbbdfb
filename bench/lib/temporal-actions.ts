import type { Client } from '@temporalio/client';

/** Billable Temporal actions in one run's history, by kind. */
export interface ActionCount {
  workflowStarts: number;
  /** Activities scheduled, plus every retry attempt after the first (each attempt is billed). */
  activities: number;
  timers: number;
  signals: number;
  childStarts: number;
  /** Workflow tasks that ran local activities (billed once per task). */
  localActivityTasks: number;
  total: number;
}

export const noActions = (): ActionCount => ({ workflowStarts: 0, activities: 0, timers: 0, signals: 0, childStarts: 0, localActivityTasks: 0, total: 0 });

export function addActions(a: ActionCount, b: ActionCount): ActionCount {
  return {
    workflowStarts: a.workflowStarts + b.workflowStarts,
    activities: a.activities + b.activities,
    timers: a.timers + b.timers,
    signals: a.signals + b.signals,
    childStarts: a.childStarts + b.childStarts,
    localActivityTasks: a.localActivityTasks + b.localActivityTasks,
    total: a.total + b.total,
  };
}

/** The fields of a history event the count reads (SDK objects and `temporal workflow show -o json` alike). */
export interface CountedEvent {
  workflowExecutionStartedEventAttributes?: unknown;
  activityTaskScheduledEventAttributes?: unknown;
  activityTaskStartedEventAttributes?: { attempt?: number | null } | null;
  timerStartedEventAttributes?: unknown;
  workflowExecutionSignaledEventAttributes?: unknown;
  startChildWorkflowExecutionInitiatedEventAttributes?: unknown;
  markerRecordedEventAttributes?: { markerName?: string | null } | null;
  workflowTaskCompletedEventAttributes?: unknown;
}

/** The marker the SDK records for a local activity (patch markers are named `core_patch`). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/**
 * Counts what Temporal Cloud bills ("Temporal Cloud Actions") from a real history: the run's start (a
 * continue-as-new run is a start of its own), each activity attempt (scheduled, plus every retry),
 * timers, signals, child starts, and local activities (one per workflow task that ran any: the SDK
 * records each as a marker). Not billed: patch markers, workflow tasks, the activity results.
 * Billed but absent from the history: the schedule's own action (one per scheduled run: callers add
 * it) and heartbeats the server records (the SDK sends an activity's first heartbeat at once, then at
 * most one per 80% of the heartbeat timeout: a short paging activity costs one).
 */
export function countHistoryActions(events: readonly CountedEvent[]): ActionCount {
  const count = noActions();
  const localActivityTasks = new Set<string>();
  let workflowTask = 0;
  for (const event of events) {
    // Each event carries the attributes of its type: no proto enum needed.
    if (event.workflowExecutionStartedEventAttributes) count.workflowStarts++;
    else if (event.activityTaskScheduledEventAttributes) count.activities++;
    else if (event.activityTaskStartedEventAttributes) count.activities += Math.max(0, (event.activityTaskStartedEventAttributes.attempt ?? 1) - 1);
    else if (event.timerStartedEventAttributes) count.timers++;
    else if (event.workflowExecutionSignaledEventAttributes) count.signals++;
    else if (event.startChildWorkflowExecutionInitiatedEventAttributes) count.childStarts++;
    else if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) localActivityTasks.add(String(workflowTask));
    // A task's commands (markers included) are recorded after its completion: grouped until the next one.
    if (event.workflowTaskCompletedEventAttributes) workflowTask++;
  }
  count.localActivityTasks = localActivityTasks.size;
  count.total = count.workflowStarts + count.activities + count.timers + count.signals + count.childStarts + count.localActivityTasks;
  return count;
}

export async function countActions(client: Client, workflowId: string, runId?: string): Promise<ActionCount> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return countHistoryActions((history.events ?? []) as CountedEvent[]);
}

/** Every run of a workflow id (continue-as-new chains included), counted and summed. */
export async function countActionsOfWorkflow(client: Client, workflowId: string): Promise<ActionCount> {
  let sum = noActions();
  for await (const info of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    sum = addActions(sum, await countActions(client, info.workflowId, info.runId));
  }
  return sum;
}
