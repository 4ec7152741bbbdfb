import { Client } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config/config.js';
import { createLogger, toTemporalLogger } from '../config/logger.js';
import { createDatabase } from '../db/client.js';
import { createKeyring, verifyKeyring } from '../db/credentials.js';
import { runMigrations } from '../db/migrate.js';
import { createWorker } from './create-worker.js';
import { startScheduleReconciler } from './schedule-reconciler.js';

/** Process entry of the worker: config, database, Temporal connection, worker; drains on SIGTERM. */
export async function runWorker(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig(env);
  const logger = createLogger(config);
  Runtime.install({ logger: toTemporalLogger(logger), telemetryOptions: { logging: { forward: {}, filter: 'WARN' } } });
  await runMigrations(config.DATABASE_URL);
  const database = createDatabase(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE });
  const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }, config.ENCRYPTION_PREVIOUS_KEYS);
  await verifyKeyring(database.db, keyring);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const worker = await createWorker({ deps: { db: database.db, config, keyring, temporal }, connection });
    const reconciler = startScheduleReconciler({ client: temporal, db: database.db, config, logger });
    logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE }, 'worker started');
    // The SDK's runtime turns SIGTERM/SIGINT into a graceful shutdown; run() resolves once drained.
    await worker.run();
    reconciler.stop();
  } finally {
    await connection.close();
    await database.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runWorker().catch((error: unknown) => {
    process.stderr.write(`worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
