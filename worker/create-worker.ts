import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { type NativeConnection, Worker, type State, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities/index.js';
import type { ActivityDeps } from '../activities/deps.js';
import { incrementalTaskQueue } from '../workflows/definitions.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface CreateWorkerOptions {
  deps: ActivityDeps;
  connection: NativeConnection;
  /** A pre-built bundle (production); otherwise the workflows are bundled from source. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  overrides?: Partial<WorkerOptions>;
}

/** The two Temporal workers of one process, run and stopped as one. */
export interface SyncWorker {
  run(): Promise<void>;
  shutdown(): void;
  getState(): State;
}

/**
 * Builds the process's workers from its dependencies; used by worker/main.ts and by tests.
 *
 * Two task queues, each with its own activity slots: every workflow and the initial sync's activities
 * on TEMPORAL_TASK_QUEUE (a backfill window holds a slot while it pages, and gives it back while its
 * Duo account's budget makes it wait: the workflow waits on a timer), and the recurring sync's Duo paging on
 * `<queue>-incremental`, so recent data keeps flowing for every tenant however many others are
 * backfilling. The second worker runs activities only: no second workflow thread and bundle in memory.
 */
export async function createWorker({ deps, connection, workflowBundle, overrides }: CreateWorkerOptions): Promise<SyncWorker> {
  const common = {
    connection,
    namespace: deps.config.TEMPORAL_NAMESPACE,
    // Activities that manage schedules (pause on failure) use a client over the worker's connection.
    activities: createActivities({ ...deps, temporal: deps.temporal ?? new Client({ connection, namespace: deps.config.TEMPORAL_NAMESPACE }) }),
    // In-flight activities get time to finish their page and commit its cursor on SIGTERM.
    shutdownGraceTime: '30s',
  } satisfies Partial<WorkerOptions>;
  const main = await Worker.create({
    ...common,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
    // Windows waiting on their account's budget give their slot back (a durable timer waits instead),
    // so this caps concurrent Duo requests and Postgres writes, keeping memory and the pool bounded.
    maxConcurrentActivityTaskExecutions: deps.config.WORKER_ACTIVITY_SLOTS,
    maxCachedWorkflows: deps.config.WORKER_MAX_CACHED_WORKFLOWS,
    ...overrides,
  });
  const incremental = await Worker.create({
    ...common,
    taskQueue: incrementalTaskQueue(deps.config.TEMPORAL_TASK_QUEUE),
    // Usually one small page per run and tenant.
    maxConcurrentActivityTaskExecutions: deps.config.WORKER_INCREMENTAL_ACTIVITY_SLOTS,
    ...overrides,
  });
  const workers = [main, incremental];
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    async run() {
      // One failing stops both: a process serving only one of its queues would look healthy.
      const outcomes = await Promise.allSettled(workers.map((worker) => worker.run().catch((error: unknown) => { shutdown(); throw error; })));
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    },
    shutdown,
    getState: () => main.getState(),
  };
}
