import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { ActivityDeps } from '../activities/deps.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface CreateWorkerOptions {
  deps: ActivityDeps;
  connection: NativeConnection;
  /** A pre-built bundle (production); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  overrides?: Partial<WorkerOptions>;
}

/** Builds the worker from its dependencies; used by worker/main.ts and by tests. */
export async function createWorker({ deps, connection, workflowBundle, overrides }: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    // Activities that manage schedules (pause on failure) use a client over the worker's connection.
    activities: createActivities({ ...deps, temporal: deps.temporal ?? new Client({ connection, namespace: deps.config.TEMPORAL_NAMESPACE }) }),
    // Duo allows a handful of requests per minute per account: many concurrent activities mostly wait
    // on the shared budget, so a modest cap keeps memory bounded without slowing anyone down.
    maxConcurrentActivityTaskExecutions: 20,
    // In-flight activities get time to finish their page and commit its cursor on SIGTERM.
    shutdownGraceTime: '30s',
    ...overrides,
  });
}
