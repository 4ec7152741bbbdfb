import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../config/config.js';
import { createLogger } from '../../observability/logger.js';
import { buildApp } from '../../api/app.js';
import { createKeyring } from '../../db/credentials.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { testEnv } from './config.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

export interface TestApi {
  app: FastifyInstance;
  config: Config;
  database: TestDatabase;
  temporal: Client;
  /** `{ authorization: 'Bearer …' }` for inject(). */
  auth: { authorization: string };
  /** Every log line the app wrote so far, as raw JSON text (for secret scans). */
  logs(): string;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** Where Duo requests go (the simulator's origin, or a closed port); undefined: to https://<api host> (with `DUO_TEST_RESOLVE` in `env`, the simulator's TLS port). */
  duoOrigin: string | undefined;
  /** Extra env; the task queue is unique per call so no worker picks workflows up unless a test starts one. */
  env?: Record<string, string>;
  /** Point the Temporal client at another address (e.g. a closed port); it connects lazily. */
  temporalAddress?: string;
}

/** The client API on a fresh database, the run's Temporal dev server and the given Duo origin. */
export async function createTestApi(options: TestApiOptions): Promise<TestApi> {
  const address = inject('temporalAddress');
  const database = await createTestDatabase();
  const config = loadConfig(
    testEnv({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: address, DUO_API_ORIGIN_OVERRIDE: options.duoOrigin, LOG_LEVEL: 'debug', ...options.env }),
  );
  const connection = options.temporalAddress
    ? Connection.lazy({ address: options.temporalAddress })
    : await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  let captured = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      captured += chunk.toString();
      done();
    },
  });
  const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }, config.ENCRYPTION_PREVIOUS_KEYS);
  const app = buildApp({ db: database.db, config, keyring, temporal, logger: createLogger(config, sink) });
  await app.ready();
  return {
    app,
    config,
    database,
    temporal,
    auth: { authorization: `Bearer ${config.API_TOKEN}` },
    logs: () => captured,
    async close() {
      await app.close();
      await connection.close();
      await database.drop();
    },
  };
}

/**
 * A second client API on the same database as `api`, whose Temporal client points at a port nothing
 * listens on: what it answers, it answered from Postgres alone.
 */
export async function createApiWithoutTemporal(api: TestApi): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const connection = Connection.lazy({ address: `127.0.0.1:${await closedPort()}` });
  const temporal = new Client({ connection, namespace: api.config.TEMPORAL_NAMESPACE });
  const keyring = createKeyring({ id: api.config.ENCRYPTION_KEY_ID, key: api.config.ENCRYPTION_KEY }, api.config.ENCRYPTION_PREVIOUS_KEYS);
  const app = buildApp({ db: api.database.db, config: api.config, keyring, temporal });
  await app.ready();
  return {
    app,
    async close() {
      await app.close();
      await connection.close();
    },
  };
}

/** Whether the tenant's initial-sync workflow exists (describe is consistent; visibility is not). */
export async function initialSyncExists(temporal: Client, tenantId: string): Promise<boolean> {
  try {
    await temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** Rows the connect path writes for a tenant: all zero means nothing was stored. */
export async function storedRows(database: TestDatabase, tenantId: string): Promise<{ tenants: number; integrations: number }> {
  const [row] = await database.sql<{ tenants: number; integrations: number }[]>`
    select (select count(*)::int from tenants where id = ${tenantId}) as tenants,
           (select count(*)::int from duo_integrations where tenant_id = ${tenantId}) as integrations`;
  return row ?? { tenants: 0, integrations: 0 };
}

/** A local port nothing listens on (bound, then released): requests to it are refused at once. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port was bound');
  return address.port;
}
