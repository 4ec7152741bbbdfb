import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from '@temporalio/worker';
import { loadConfig } from '../config/config.js';
import { createLogger, toTemporalLogger } from '../config/logger.js';
import { runMigrations } from '../db/migrate.js';
import { startApi } from '../client/server.js';
import { startWorker } from './main.js';
import { startTemporalDevServer, type DevServer } from './temporal-dev-server.js';

const dataDir = join(process.cwd(), '.data');

/**
 * Local secrets so `npm start` runs with nothing configured: generated once into .data/ and reused,
 * so stored Duo secrets stay readable across restarts. Never used when NODE_ENV=production.
 */
function devSecrets(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.NODE_ENV === 'production' || (env.API_TOKEN && env.ENCRYPTION_KEY)) return {};
  const file = join(dataDir, 'dev-secrets.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const secrets = { API_TOKEN: randomBytes(24).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('base64') };
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  }
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { API_TOKEN: string; ENCRYPTION_KEY: string };
  return { ...(env.API_TOKEN ? {} : { API_TOKEN: stored.API_TOKEN }), ...(env.ENCRYPTION_KEY ? {} : { ENCRYPTION_KEY: stored.ENCRYPTION_KEY }) };
}

/** `npm start`: a Temporal dev server unless TEMPORAL_ADDRESS is set, then the worker and the API in one process. */
async function main(): Promise<void> {
  const secrets = devSecrets(process.env);
  let devServer: DevServer | undefined;
  const env: Record<string, string | undefined> = { ...process.env, ...secrets };
  const bootstrap = loadConfig({ ...env, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS ?? 'pending' });
  const logger = createLogger(bootstrap);
  if (!env.TEMPORAL_ADDRESS) {
    mkdirSync(dataDir, { recursive: true });
    devServer = await startTemporalDevServer({ port: 7233, uiPort: 8233, dbFilename: join(dataDir, 'temporal.db') });
    env.TEMPORAL_ADDRESS = devServer.address;
    logger.info({ address: devServer.address, ui: 'http://127.0.0.1:8233' }, 'Temporal dev server started');
  }
  const config = loadConfig(env);
  Runtime.install({ logger: toTemporalLogger(logger), shutdownSignals: [], telemetryOptions: { logging: { forward: {}, filter: 'WARN' } } });
  await runMigrations(config.DATABASE_URL);
  const worker = await startWorker(config, logger, { migrate: false });
  const api = await startApi(config, { logger, migrate: false });
  logger.info({ url: api.url, temporalUi: devServer ? 'http://127.0.0.1:8233' : undefined }, 'duo-usage-sync is running');
  if (secrets.API_TOKEN) process.stderr.write(`\nLocal API token (from .data/dev-secrets.json): ${secrets.API_TOKEN}\n\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down: API first, then the worker drains, then the dev server');
    await api.close().catch((error: unknown) => logger.error({ err: error }, 'api close failed'));
    worker.shutdown();
    await worker.done.catch((error: unknown) => logger.error({ err: error }, 'worker failed while draining'));
    await devServer?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await worker.done;
}

main().catch((error: unknown) => {
  process.stderr.write(`start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
