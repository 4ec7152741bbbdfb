import { Client } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { NativeConnection, Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { loadConfig, processEnvironment, type Config } from '../config/config.js';
import { createLogger, toTemporalLogger } from '../observability/logger.js';
import { createDatabase } from '../db/client.js';
import { createKeyring, verifyKeyring } from '../db/credentials.js';
import { runMigrations } from '../db/migrate.js';
import { closeDuoConnections } from '../duo/transport.js';
import { AppError } from '../errors/app-error.js';
import { prebuiltWorkflowBundle } from './build-bundle.js';
import { createWorker } from './create-worker.js';
import { startWorkerMetrics, type WorkerReadinessChecks } from './metrics-endpoint.js';
import { startAuditRetention } from './audit-retention.js';
import { startScheduleReconciler } from './schedule-reconciler.js';
import { incrementalTaskQueue } from '../workflows/definitions.js';
import { temporalConnectionOptions } from '../integrations/temporal.js';

export interface RunningWorker {
  /** Resolves once the worker has drained after shutdown (or rejects if it failed). */
  done: Promise<void>;
  shutdown(): void;
  /** What the worker's /readyz checks: Postgres and Temporal. */
  readinessChecks: WorkerReadinessChecks;
}

/**
 * Starts the worker: database, keyring check (fails fast on a wrong ENCRYPTION_KEY), Temporal
 * connection, schedule reconciliation. Runtime.install must have run before (once per process).
 */
export async function startWorker(config: Config, logger: Logger, options: { migrate?: boolean } = {}): Promise<RunningWorker> {
  if (options.migrate !== false) await runMigrations(config.DATABASE_URL);
  const database = createDatabase(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE });
  const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }, config.ENCRYPTION_PREVIOUS_KEYS);
  await verifyKeyring(database.db, keyring);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const worker = await createWorker({ deps: { db: database.db, config, keyring, temporal }, connection, workflowBundle: prebuiltWorkflowBundle(config) });
  const reconciler = startScheduleReconciler({ client: temporal, db: database.db, config, logger });
  const auditRetention = startAuditRetention({ db: database.db, config, logger });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, incrementalTaskQueue: incrementalTaskQueue(config.TEMPORAL_TASK_QUEUE), namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
  const done = worker.run().finally(async () => {
    reconciler.stop();
    auditRetention.stop();
    await closeDuoConnections();
    await connection.close();
    await database.close();
    logger.info('worker stopped');
  });
  return {
    done,
    shutdown: () => worker.shutdown(),
    readinessChecks: {
      database: () => database.db.execute(sql`select 1`),
      temporal: () => temporal.workflowService.getSystemInfo({}),
    },
  };
}

/** Process entry of `npm run worker`: the SDK's runtime turns SIGTERM/SIGINT into a graceful drain. */
async function main(): Promise<void> {
  const config = loadConfig(processEnvironment());
  const logger = createLogger(config);
  const metrics = await startWorkerMetrics(config, logger);
  Runtime.install({ logger: toTemporalLogger(logger), telemetryOptions: { logging: { forward: {}, filter: 'WARN' }, metrics: metrics.temporal } });
  const worker = await startWorker(config, logger);
  metrics.setReadinessChecks(worker.readinessChecks);
  await worker.done;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    // The stable code first (ENCRYPTION_KEY_MISMATCH, CONFIG_INVALID): what operators and alerts match on.
    process.stderr.write(`worker failed: ${error instanceof AppError ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
