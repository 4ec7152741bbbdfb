import type { Client } from '@temporalio/client';

/** Billable Temporal actions in one run's history, by kind. */
export interface ActionCount {
  workflowStarts: number;
  /** Activities scheduled, plus every retry attempt after the first (each attempt is billed). */
  activities: number;
  timers: number;
  signals: number;
  childStarts: number;
  total: number;
}

export const noActions = (): ActionCount => ({ workflowStarts: 0, activities: 0, timers: 0, signals: 0, childStarts: 0, total: 0 });

export function addActions(a: ActionCount, b: ActionCount): ActionCount {
  return {
    workflowStarts: a.workflowStarts + b.workflowStarts,
    activities: a.activities + b.activities,
    timers: a.timers + b.timers,
    signals: a.signals + b.signals,
    childStarts: a.childStarts + b.childStarts,
    total: a.total + b.total,
  };
}

/**
 * Counts what a hosted Temporal bills from a real history: the run's start (a continue-as-new run
 * is a start of its own), each activity attempt, timers, signals and child starts. Heartbeats and
 * schedule actions are billed too but leave no event in the workflow's history: callers add the
 * schedule's one action per run; heartbeats are left out (none while a window waits on its timer).
 * Markers (patch markers) are not counted.
 */
export async function countActions(client: Client, workflowId: string, runId?: string): Promise<ActionCount> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const count = noActions();
  for (const event of history.events ?? []) {
    // Each event carries the attributes of its type: no proto enum needed.
    if (event.workflowExecutionStartedEventAttributes) count.workflowStarts++;
    else if (event.activityTaskScheduledEventAttributes) count.activities++;
    else if (event.activityTaskStartedEventAttributes) count.activities += Math.max(0, (event.activityTaskStartedEventAttributes.attempt ?? 1) - 1);
    else if (event.timerStartedEventAttributes) count.timers++;
    else if (event.workflowExecutionSignaledEventAttributes) count.signals++;
    else if (event.startChildWorkflowExecutionInitiatedEventAttributes) count.childStarts++;
  }
  count.total = count.workflowStarts + count.activities + count.timers + count.signals + count.childStarts;
  return count;
}

/** Every run of a workflow id (continue-as-new chains included), counted and summed. */
export async function countActionsOfWorkflow(client: Client, workflowId: string): Promise<ActionCount> {
  let sum = noActions();
  for await (const info of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    sum = addActions(sum, await countActions(client, info.workflowId, info.runId));
  }
  return sum;
}
