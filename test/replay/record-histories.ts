import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import postgres from 'postgres';
import { buildApp } from '../../api/app.js';
import { createDatabase } from '../../db/client.js';
import { createKeyring } from '../../db/credentials.js';
import { runMigrations } from '../../db/migrate.js';
import { closeDuoConnections } from '../../duo/transport.js';
import { createWorker } from '../../worker/create-worker.js';
import { startTemporalDevServer, type DevServer } from '../../local/temporal-dev-server.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { notificationDeliveryWorkflowId } from '../../workflows/notification-delivery.js';
import { testConfig } from '../helpers/config.js';
import { adminUrl, databaseUrl } from '../helpers/postgres.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { startTestSimulator } from '../helpers/simulator.js';
import { waitFor } from '../helpers/waiting.js';
import { startWebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * `npm run replay:record`: runs real workflows (Temporal dev server, Postgres, the Duo simulator over
 * HTTP, a local webhook receiver, the real worker and activities) and saves their histories as JSON
 * (the format of `temporal workflow show -o json` and the UI's export) into test/fixtures/histories/
 * as `<scenario>.current.json`:
 *
 * - `initial-sync`: a whole initial sync, its completion handed off to a delivery workflow;
 * - `notification-delivery`: that delivery workflow, posting to the receiver;
 * - `incremental-sync`: a completed scheduled run that pages new events;
 * - `incremental-sync-failed`: a run whose keys Duo rejects: failed, schedule paused, `sync.failing` handed off.
 *
 * test/replay/replay.test.ts replays every file there against the workflow code in the tree. Record
 * again only on purpose, after a versioned workflow change (docs/OPERATIONS.md, "Upgrading workflow
 * code safely"): first rename each `*.current.json` to `*.before-<patch-id>.json`, which keeps it
 * replayed while runs of that shape may be open; this script never overwrites a file.
 * Needs the same services as `npm test` (TEMPORAL_ADDRESS or the Temporal CLI; Postgres).
 */

const outputDir = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const scenarios = ['initial-sync', 'notification-delivery', 'incremental-sync', 'incremental-sync-failed'] as const;
const outputFile = (scenario: string) => join(outputDir, `${scenario}.current.json`);

async function main(): Promise<void> {
  const existing = scenarios.map(outputFile).filter((file) => existsSync(file));
  if (existing.length > 0) {
    throw new Error(`${existing.join(', ')} exist: rename each to <scenario>.before-<patch-id>.json first (docs/OPERATIONS.md)`);
  }
  const dev: DevServer | undefined = process.env.TEMPORAL_ADDRESS ? undefined : await startTemporalDevServer();
  const temporalAddress = process.env.TEMPORAL_ADDRESS ?? dev?.address ?? '';
  const name = `duo_sync_record_${randomBytes(4).toString('hex')}`;
  const url = databaseUrl(name);
  await runMigrations(url);
  const database = createDatabase(url, { poolSize: 5 });

  // History ends 20 minutes ago and live events keep arriving, so the incremental run pages real events.
  const anchorMs = Date.now() - 20 * 60_000;
  const account = makeAccount({ dataset: { seed: 8008, users: 30, groups: 4, authEvents: 600, days: 3, liveEventsPerMinute: 60, anchorMs } });
  const simulator = await startTestSimulator([account]);
  const receiver = await startWebhookReceiver();
  const config = testConfig({
    DATABASE_URL: url,
    TEMPORAL_ADDRESS: temporalAddress,
    DUO_API_ORIGIN_OVERRIDE: simulator.origin,
    BACKFILL_DAYS: '3',
    ...receiver.env,
    LOG_LEVEL: 'warn',
  });
  const keyring = createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY });
  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const app = buildApp({ db: database.db, config, keyring, temporal });
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const workerConnection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await createWorker({ deps: { db: database.db, config, keyring }, connection: workerConnection });
  const running = worker.run();
  const auth = { authorization: `Bearer ${config.API_TOKEN}` };
  const tenantId = 'replay-tenant';

  try {
    const connect = await app.inject({
      method: 'PUT',
      url: `/v1/tenants/${tenantId}/integrations/duo`,
      headers: auth,
      payload: { integrationKey: account.integrationKey, secretKey: account.secretKey, apiHost: account.apiHost },
    });
    if (connect.statusCode !== 202) throw new Error(`connect answered ${connect.statusCode}: ${connect.body}`);
    const initial = temporal.workflow.getHandle(initialSyncWorkflowId(tenantId));
    await initial.result();
    const { runId: initialRunId } = await initial.describe();
    const delivery = temporal.workflow.getHandle(notificationDeliveryWorkflowId(tenantId, initialRunId));
    await delivery.result();

    /** Triggers a run ("sync now") and waits until the run log shows it ended with `outcome`. */
    const incrementalRun = async (outcome: 'completed' | 'failed') => {
      const sync = await app.inject({ method: 'POST', url: `/v1/tenants/${tenantId}/integrations/duo/sync`, headers: auth, payload: {} });
      if (sync.statusCode !== 202) throw new Error(`sync now answered ${sync.statusCode}: ${sync.body}`);
      let run: { workflow_id: string; run_id: string } | undefined;
      await waitFor(`an incremental run to end ${outcome}`, async () => {
        [run] = await database.sql<{ workflow_id: string; run_id: string }[]>`
          select workflow_id, run_id from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and outcome = ${outcome}`;
        return run !== undefined;
      });
      if (!run) throw new Error(`no ${outcome} incremental run`);
      const handle = temporal.workflow.getHandle(run.workflow_id, run.run_id);
      await handle.result().catch(() => undefined);
      return handle;
    };
    const completed = await incrementalRun('completed');
    await simulator.control.revoke(account.integrationKey, { keys: true });
    const failed = await incrementalRun('failed');

    await mkdir(outputDir, { recursive: true });
    const recordings = { 'initial-sync': initial, 'notification-delivery': delivery, 'incremental-sync': completed, 'incremental-sync-failed': failed };
    for (const scenario of scenarios) {
      const history = await recordings[scenario].fetchHistory();
      const file = outputFile(scenario);
      await writeFile(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
      process.stdout.write(`${file}: ${history.events?.length ?? 0} events\n`);
    }
  } finally {
    worker.shutdown();
    await running;
    await workerConnection.close();
    await app.close();
    await connection.close();
    await closeDuoConnections();
    await simulator.close();
    await receiver.close();
    await database.close();
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
    await dev?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`recording failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
