import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Worker, type InjectedSinks, type WorkflowBundle } from '@temporalio/worker';
import { workflowsEntry } from '../../worker/build-bundle.js';
import type { History } from './workflow-history.js';
import type { ScheduledActivitySinks } from './scheduled-activity-observer.js';

const logger = new DefaultLogger('WARN');
const helperModule = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url));

/** The production workflow code, bundled as the worker bundles it (~1 s: once per test file). */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger });
}

/** The production workflow code as it would be with each `patched()` check deleted and its old branch removed. */
export function bundleWorkflowsWithoutOldBranches(): Promise<WorkflowBundle> {
  const workflowApi = helperModule('workflow-api-without-old-branches.ts');
  return bundleWorkflowCode({
    workflowsPath: workflowsEntry(),
    logger,
    webpackConfigHook: (config) => ({ ...config, resolve: { ...config.resolve, alias: { ...config.resolve?.alias, '@temporalio/workflow$': workflowApi } } }),
  });
}

/** The production workflow code with test/helpers/scheduled-activity-observer.ts intercepting it. */
export function bundleWorkflowsObservingActivities(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger, workflowInterceptorModules: [helperModule('scheduled-activity-observer.ts')] });
}

/**
 * Replays a history on a bundle from bundleWorkflowsObservingActivities and returns the activities
 * the code scheduled while replaying it, with the task queue it asked for (undefined: its own).
 * Replay itself compares activity types, not queues, so this is how a queue change is seen.
 */
export async function activitiesScheduledInReplay(workflowBundle: WorkflowBundle, history: History): Promise<{ type: string; taskQueue: string | undefined }[]> {
  const scheduled: { type: string; taskQueue: string | undefined }[] = [];
  const sinks: InjectedSinks<ScheduledActivitySinks> = {
    scheduledActivities: {
      scheduled: { fn: (_info, type, taskQueue) => void scheduled.push({ type, taskQueue }), callDuringReplay: true },
    },
  };
  await Worker.runReplayHistory({ workflowBundle, sinks }, history);
  return scheduled;
}
