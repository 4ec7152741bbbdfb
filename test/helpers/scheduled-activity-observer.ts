// Workflow-sandbox code: an interceptor that reports every activity the workflow schedules, replay
// included, through the `scheduledActivities` sink (test/helpers/workflow-bundles.ts bundles it in).
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export interface ScheduledActivitySinks extends Sinks {
  scheduledActivities: {
    /** `taskQueue` is undefined when the workflow left it to default to its own queue. */
    scheduled(activityType: string, taskQueue: string | undefined): void;
  };
}

const { scheduledActivities } = proxySinks<ScheduledActivitySinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        scheduledActivities.scheduled(input.activityType, input.options.taskQueue);
        return next(input);
      },
    },
  ],
});
