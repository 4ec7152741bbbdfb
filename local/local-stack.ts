import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/config.js';
import { createLogger, toTemporalLogger } from '../observability/logger.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { runMigrations } from '../db/migrate.js';
import { startApi } from '../api/server.js';
import { startWorker } from '../worker/main.js';
import { locateTemporalCli, startSdkDownloadedDevServer, startTemporalDevServer, type DevServer } from './temporal-dev-server.js';

/** Fixed local ports of the dev server `npm start` runs (the UI link in docs and the demo uses 8233). */
export const DEV_TEMPORAL_PORT = 7233;
export const DEV_TEMPORAL_UI_PORT = 8233;

/**
 * Local secrets so `npm start` runs with nothing configured: generated once into .data/ and reused,
 * so stored Duo secrets stay readable across restarts. Never used when NODE_ENV=production.
 */
function devSecrets(env: Record<string, string | undefined>, dataDir: string): Record<string, string> {
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

export interface LocalStack {
  config: Config;
  logger: Logger;
  /** `http://host:port` of the API. */
  apiUrl: string;
  /** Set when the dev server was started here (no TEMPORAL_ADDRESS). */
  temporalUiUrl: string | undefined;
  /** Which database is in use, for people: never contains a password. */
  databaseLabel: string;
  /** The generated local API token, when it came from .data/dev-secrets.json. */
  generatedApiToken: string | undefined;
  /** Settles when the worker has stopped: after stop(), or on its own when it failed. */
  done: Promise<void>;
  /** API first, then the worker drains, then PGlite and the dev server. Idempotent. */
  stop(): Promise<void>;
}

/**
 * `npm start` and `npm run demo`: a Temporal dev server unless TEMPORAL_ADDRESS is set, embedded
 * PGlite unless DATABASE_URL is set, migrations, then the worker and the API in this process.
 * State lives in `dataDir` (default ./.data), so a second start resumes where the first stopped.
 */
export async function startLocalStack(
  inputEnv: Record<string, string | undefined>,
  options: { dataDir?: string } = {},
): Promise<LocalStack> {
  const dataDir = options.dataDir ?? join(process.cwd(), '.data');
  const secrets = devSecrets(inputEnv, dataDir);
  const env: Record<string, string | undefined> = { ...inputEnv, ...secrets };
  // `DATABASE_URL= npm start` means "none" here, as an unset variable does.
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS']) if (env[name] === '') delete env[name];
  // Validates everything (production without DATABASE_URL included) before anything starts.
  const bootstrap = loadConfig({ ...env, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS ?? 'pending' });
  const logger = createLogger(bootstrap);
  const cleanups: Array<() => Promise<void>> = [];
  const unwind = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error: unknown) => logger.error({ err: error }, 'stop step failed'));
  };

  try {
    // Before any Temporal use: the SDK's download path would otherwise install a default runtime.
    Runtime.install({ logger: toTemporalLogger(logger), shutdownSignals: [], telemetryOptions: { logging: { forward: {}, filter: 'WARN' } } });
    let devServer: Pick<DevServer, 'address' | 'stop'> | undefined;
    if (!env.TEMPORAL_ADDRESS) {
      mkdirSync(dataDir, { recursive: true });
      const serverOptions = { port: DEV_TEMPORAL_PORT, uiPort: DEV_TEMPORAL_UI_PORT, dbFilename: join(dataDir, 'temporal.db') };
      devServer = locateTemporalCli()
        ? await startTemporalDevServer(serverOptions)
        : await startSdkDownloadedDevServer({ ...serverOptions, downloadDir: join(dataDir, 'temporal-cli') });
      cleanups.push(() => devServer!.stop());
      env.TEMPORAL_ADDRESS = devServer.address;
      logger.info({ address: devServer.address, ui: `http://127.0.0.1:${DEV_TEMPORAL_UI_PORT}` }, 'Temporal dev server started');
    }

    let databaseLabel: string;
    if (!env.DATABASE_URL) {
      const pglite = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pglite') });
      cleanups.push(() => pglite.stop());
      env.DATABASE_URL = pglite.url;
      databaseLabel = `embedded PGlite in ${pglite.dataDir}`;
      logger.info({ database: 'pglite', dataDir: pglite.dataDir, url: pglite.url }, 'DATABASE_URL not set: using embedded PGlite (local runs only)');
    } else {
      const url = new URL(env.DATABASE_URL);
      databaseLabel = `Postgres at ${url.host}${url.pathname}`;
      logger.info({ database: 'postgres', host: url.host, name: url.pathname.slice(1) }, 'using Postgres from DATABASE_URL');
    }

    // The console links each tenant to its workflows in the dev server's UI.
    if (devServer && !env.TEMPORAL_UI_URL) env.TEMPORAL_UI_URL = `http://127.0.0.1:${DEV_TEMPORAL_UI_PORT}`;
    const config = loadConfig(env);
    await runMigrations(config.DATABASE_URL);
    const worker = await startWorker(config, logger, { migrate: false });
    cleanups.push(async () => {
      worker.shutdown();
      await worker.done.catch((error: unknown) => logger.error({ err: error }, 'worker failed while draining'));
    });
    const api = await startApi(config, { logger, migrate: false });
    cleanups.push(() => api.close());

    const temporalUiUrl = devServer ? `http://127.0.0.1:${DEV_TEMPORAL_UI_PORT}` : undefined;
    logger.info({ url: api.url, temporalUi: temporalUiUrl, database: databaseLabel }, 'duo-usage-sync is running');
    let stopping: Promise<void> | undefined;
    const stop = () => (stopping ??= unwind());
    return {
      config,
      logger,
      apiUrl: api.url,
      temporalUiUrl,
      databaseLabel,
      generatedApiToken: secrets.API_TOKEN,
      done: worker.done,
      stop,
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
