import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/client.js';
import { createKeyring } from '../../db/credentials.js';
import { createWorker, type CreateWorkerOptions, type SyncWorker } from '../../worker/create-worker.js';

export interface RunningWorker {
  worker: SyncWorker;
  /** Shuts the worker down and waits until it has drained. */
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** A worker in this process, on the test file's task queue, with real activities. */
export type WorkerOverrides = CreateWorkerOptions['overrides'];

export async function startInProcessWorker(config: Config, db: Database, overrides?: WorkerOverrides): Promise<RunningWorker> {
  if (!runtimeInstalled) {
    // Once per process (the SDK refuses a second install): keep test output to warnings.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }, config.ENCRYPTION_PREVIOUS_KEYS);
  const worker = await createWorker({ deps: { db, config, keyring }, connection, overrides: { shutdownGraceTime: '2s', ...overrides } });
  const running = worker.run();
  return {
    worker,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
