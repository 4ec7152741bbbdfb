/**
 * Checks the "finishes within 24 hours" arithmetic against a real run: the whole system (Temporal dev
 * server, worker, Postgres, the Duo simulator over HTTP) backfills one tenant with the log-endpoint
 * limit scaled down, records when the last 30/60/90 days and the whole backfill were complete, and
 * compares the measured times with the model in docs/CAPACITY.md.
 *
 *   npm run bench:projection -- [--events 60000] [--days 90] [--per-minute 120]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import postgres from 'postgres';
import { loadConfig } from '../config/config.js';
import { connectIntegration } from '../integrations/connect.js';
import { createDatabase } from '../db/client.js';
import { createKeyring } from '../db/credentials.js';
import { runMigrations } from '../db/migrate.js';
import { startSimulator } from '../simulator/server.js';
import { initialSyncWorkflowId } from '../workflows/definitions.js';
import { createWorker } from '../worker/create-worker.js';
import { startTemporalDevServer } from '../local/temporal-dev-server.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '60000' },
    days: { type: 'string', default: '90' },
    'per-minute': { type: 'string', default: '120' },
  },
});
const events = Number(values.events);
const days = Number(values.days);
const perMinute = Number(values['per-minute']);

const alnum = (n: number) => Array.from(randomBytes(n), (b) => '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[b % 36]).join('');
const account = {
  integrationKey: `DI${alnum(18)}`,
  secretKey: randomBytes(30).toString('base64url').slice(0, 40),
  apiHost: `api-${randomBytes(4).toString('hex')}.duosecurity.com`,
  dataset: { seed: 1, users: 500, groups: 10, authEvents: events, days },
  rateLimits: { logRequestsPerMinute: perMinute, objectRequestsPerMinute: 600 },
};

Runtime.install({ logger: new DefaultLogger('WARN') });
const temporalServer = await startTemporalDevServer();
const simulator = await startSimulator({ accounts: [account] });
const databaseName = `duo_sync_bench_${randomBytes(4).toString('hex')}`;
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${databaseName}`;
await runMigrations(databaseUrl);
const config = loadConfig({
  NODE_ENV: 'test',
  API_TOKEN: randomBytes(16).toString('hex'),
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  DATABASE_URL: databaseUrl,
  TEMPORAL_ADDRESS: temporalServer.address,
  DUO_API_ORIGIN_OVERRIDE: simulator.origin,
  DUO_LOG_REQUESTS_PER_MINUTE: String(perMinute),
  DUO_OBJECT_REQUESTS_PER_MINUTE: '600',
  BACKFILL_DAYS: String(days + 1),
});
const database = createDatabase(databaseUrl);
const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY });
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
const worker = await createWorker({ deps: { db: database.db, config, keyring }, connection });
const running = worker.run();
const temporal = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }) });

const started = Date.now();
const integration = await connectIntegration({ db: database.db, config, keyring, temporal }, 'projection', {
  integrationKey: account.integrationKey,
  secretKey: account.secretKey,
  apiHost: account.apiHost,
});
await temporal.workflow.getHandle(initialSyncWorkflowId('projection')).result();
const totalMs = Date.now() - started;

const sql = postgres(databaseUrl, { max: 1 });
const anchorMs = integration.anchorAt.getTime();
const reached = async (n: number) => {
  const [row] = await sql<{ at: Date | null }[]>`
    select max(updated_at) as at from backfill_windows where tenant_id = 'projection' and window_end_ms > ${anchorMs - n * 86_400_000}`;
  return row?.at ? row.at.getTime() - started : null;
};
const [pages] = await sql<{ pages: number; events: number }[]>`select sum(pages)::int as pages, sum(events)::int as events from backfill_windows where tenant_id = 'projection'`;
const marks = { d30: await reached(30), d60: await reached(60), d90: await reached(90) };

// The model (docs/CAPACITY.md): each day window costs ceil(events that day / 1000) requests, at the log limit.
const modelPages = (n: number) => n * Math.ceil(events / days / 1000);
const predict = (n: number) => (modelPages(n) / perMinute) * 60_000;
const predictedMs = predict(days);
const row = (label: string, ms: number | null) => `${label.padEnd(28)} ${(ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`).padEnd(8)}`;
process.stdout.write(
  [
    `events ${pages?.events} in ${days} days, ${pages?.pages} log pages, log limit ${perMinute}/min`,
    `${'what'.padEnd(28)} measured   model`,
    `${row('last 30 days complete after', marks.d30)}   ${(predict(30) / 1000).toFixed(1)} s`,
    `${row('last 60 days complete after', marks.d60)}   ${(predict(Math.min(60, days)) / 1000).toFixed(1)} s`,
    `${row('last 90 days complete after', marks.d90)}   ${(predict(Math.min(90, days)) / 1000).toFixed(1)} s`,
    `${row('whole backfill complete after', totalMs)}   ${(predictedMs / 1000).toFixed(1)} s`,
    `measured / model: ${(totalMs / predictedMs).toFixed(2)}; pages fetched / rate = ${(((pages?.pages ?? 0) / perMinute) * 60).toFixed(1)} s ` +
      `(the run used ${(((pages?.pages ?? 0) / perMinute) * 60_000 / totalMs * 100).toFixed(0)}% of the log budget)`,
  ].join('\n') + '\n',
);

await sql.end();
worker.shutdown();
await running;
await connection.close();
await temporal.connection.close();
await database.close();
await simulator.close();
await temporalServer.stop();
const admin = postgres('postgres://postgres@127.0.0.1:5432/postgres', { max: 1 });
await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
await admin.end();
