import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, inject } from 'vitest';
import type { Activities } from '../../activities/index.js';
import { findTemporalCli, searchAttributeFlags } from '../../local/temporal-dev-server.js';
import { incrementalTaskQueue } from '../../workflows/definitions.js';
import { bundleWorkflows } from './workflow-bundles.js';

let runtimeInstalled = false;

export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  // Once per process (the SDK refuses a second install), before any connection or replay. Errors
  // only: the failures and non-determinism these tests provoke on purpose are logged as warnings.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { forward: {}, filter: 'ERROR' } } });
  runtimeInstalled = true;
}

/**
 * A Temporal test environment for workflows with fake activities. Time skipping needs Temporal's
 * Java test server, which the SDK downloads from Temporal's site at run time and no package registry
 * carries; so these run on a real dev server in real time, with fakes that answer at once and short
 * retry delays.
 *
 * By default the run's shared dev server (test/helpers/global-setup.ts). With
 * `suggestContinueAsNewAfterEvents`, a dev server of the file's own (the Temporal CLI, never a
 * download) whose server suggests continue-as-new after that many history events instead of 4096.
 */
export async function startWorkflowEnvironment(options: { suggestContinueAsNewAfterEvents?: number } = {}): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  if (options.suggestContinueAsNewAfterEvents === undefined) {
    return TestWorkflowEnvironment.createFromExistingServer({ address: inject('temporalAddress') });
  }
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: findTemporalCli() },
      log: { format: 'pretty', level: 'error' },
      extraArgs: [
        ...searchAttributeFlags,
        '--dynamic-config-value',
        `limit.historyCount.suggestContinueAsNew=${options.suggestContinueAsNewAfterEvents}`,
      ],
    },
  });
}

export interface FakeWorkerOptions {
  env: TestWorkflowEnvironment;
  workflowBundle: WorkflowBundle;
  activities: Activities;
  /** The workflows' task queue; a fresh one by default. */
  taskQueue?: string;
}

/**
 * Runs `body` while the process's two workers serve a task queue, as worker/create-worker.ts
 * lays them out: the workflows and their activities on the queue, and activities only on its
 * `-incremental` queue. Heartbeats are sent at most every 100 ms, so a cancellation reaches an
 * activity at once instead of after the production throttle (0.8 × the one-minute heartbeat timeout).
 */
export async function withFakeWorker<T>(
  { env, workflowBundle, activities, taskQueue = `workflow-test-${randomUUID()}` }: FakeWorkerOptions,
  body: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const common = {
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    activities,
    maxHeartbeatThrottleInterval: '100ms',
    shutdownGraceTime: '1s',
  };
  const main = await Worker.create({ ...common, taskQueue, workflowBundle });
  const incremental = await Worker.create({ ...common, taskQueue: incrementalTaskQueue(taskQueue) });
  return main.runUntil(incremental.runUntil(body(taskQueue)));
}

export interface WorkflowTestHarness {
  /** The client of the file's environment. */
  readonly client: Client;
  /** withFakeWorker on the file's environment and production bundle, with these activities. */
  withWorker<T>(activities: Activities, body: (taskQueue: string) => Promise<T>, options?: { taskQueue?: string }): Promise<T>;
}

/**
 * One test file's environment and production bundle: made before its tests (startWorkflowEnvironment's
 * options), torn down after them.
 */
export function workflowTestHarness(options: { suggestContinueAsNewAfterEvents?: number } = {}): WorkflowTestHarness {
  let env: TestWorkflowEnvironment | undefined;
  let workflowBundle: WorkflowBundle | undefined;
  beforeAll(async () => {
    [env, workflowBundle] = await Promise.all([startWorkflowEnvironment(options), bundleWorkflows()]);
  });
  afterAll(async () => {
    await env?.teardown();
  });
  const started = () => {
    if (!env || !workflowBundle) throw new Error('the workflow test environment starts before the tests: use it inside them');
    return { env, workflowBundle };
  };
  return {
    get client() {
      return started().env.client;
    },
    withWorker: (activities, body, { taskQueue } = {}) => withFakeWorker({ ...started(), activities, taskQueue }, body),
  };
}
