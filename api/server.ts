import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { loadConfig, processEnvironment, type Config } from '../config/config.js';
import { createLogger } from '../observability/logger.js';
import { createDatabase } from '../db/client.js';
import { createKeyring, verifyKeyring } from '../db/credentials.js';
import { runMigrations } from '../db/migrate.js';
import { buildApp } from './app.js';
import { createTemporalClient } from '../integrations/temporal.js';

export interface StartApiOptions {
  /** Defaults to the root logger built from config (redacting secrets and Authorization). */
  logger?: Logger;
  /** Apply migrations first; a process that already ran them (start-all) passes false. */
  migrate?: boolean;
}

export interface RunningApi {
  /** `http://host:port` the API listens on (the real port when API_PORT is 0). */
  url: string;
  /** Stops accepting, lets in-flight requests finish, then closes Temporal and Postgres. */
  close(): Promise<void>;
}

/**
 * Starts the client API: database, keyring check, Temporal client, listen. Fails fast (before
 * listening) on a wrong ENCRYPTION_KEY or an unreachable database. Temporal is connected lazily: the
 * usage API serves without it, and lifecycle routes answer 503 temporal_unavailable until it answers.
 */
export async function startApi(config: Config, options: StartApiOptions = {}): Promise<RunningApi> {
  const logger = options.logger ?? createLogger(config);
  if (options.migrate !== false) await runMigrations(config.DATABASE_URL);
  const database = createDatabase(config.DATABASE_URL, { poolSize: config.DATABASE_POOL_SIZE });
  let temporal: Client | undefined;
  try {
    const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }, config.ENCRYPTION_PREVIOUS_KEYS);
    await verifyKeyring(database.db, keyring);
    temporal = createTemporalClient(config);
    const app = buildApp({ db: database.db, config, keyring, temporal, logger });
    const url = await app.listen({ host: config.API_HOST, port: config.API_PORT });
    const client = temporal;
    return {
      url,
      async close() {
        try {
          await app.close();
        } finally {
          await client.connection.close();
          await database.close();
        }
      },
    };
  } catch (error) {
    await temporal?.connection.close();
    await database.close();
    throw error;
  }
}

/** How long a shutdown may wait for in-flight requests before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfig(processEnvironment());
  const logger = createLogger(config);
  const api = await startApi(config, { logger });
  logger.info({ url: api.url }, 'api listening');
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api shutting down');
    setTimeout(() => {
      logger.error('api shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    api.close().then(
      () => logger.info('api stopped'),
      (error: unknown) => {
        logger.error({ err: error }, 'api shutdown failed');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    // Config and key errors are written for operators and never contain secret values.
    process.stderr.write(`api failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
