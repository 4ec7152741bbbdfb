import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp } from '../../api/app.js';
import { tenantGaugeRegistry } from '../../api/metrics-route.js';
import { createDatabase } from '../../db/client.js';
import { createKeyring } from '../../db/credentials.js';
import { freePort } from '../../local/temporal-dev-server.js';
import { closedPort } from '../helpers/api.js';
import { configToEnv } from '../../config/config.js';
import { testConfig } from '../helpers/config.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { finishedIncrementalRuns, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWorkerProcess, type WorkerProcess } from '../../local/worker-process.js';

// Prometheus metrics: the API's /metrics after a real initial and incremental sync (per-tenant gauges
// from Postgres), and the worker process's METRICS_PORT endpoint (Temporal SDK + our own metrics).
// Neither may carry a secret, a Duo host or key, or a tenant id outside the tenant gauges.

/** The value of the one sample whose line starts with `series` (name and labels exactly), if any. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('API /metrics', () => {
  const anchorMs = Date.now() - 20 * 60_000;
  const account = makeAccount({ dataset: { seed: 7117, users: 20, groups: 3, authEvents: 400, days: 3, liveEventsPerMinute: 60, anchorMs } });
  const tenantId = 'obs-tenant';
  let harness: SyncHarness;

  const scrape = async () => {
    const response = await harness.api.app.inject({ method: 'GET', url: '/metrics', headers: harness.api.auth });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    return response.body;
  };

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account] });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
    const sync = await harness.api.app.inject({ method: 'POST', url: `/v1/tenants/${tenantId}/integrations/duo/sync`, headers: harness.api.auth, payload: {} });
    expect(sync.statusCode).toBe(202);
    await waitFor('an incremental run to finish', async () => (await finishedIncrementalRuns(harness, tenantId)) > 0);
  }, 180_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('requires the bearer token', async () => {
    expect((await harness.api.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  });

  it('shows the tenant\'s initial sync complete, its status, and its sync lag per enabled stream', async () => {
    const text = await scrape();
    expect(sample(text, `duo_sync_initial_sync_progress_ratio{tenant_id="${tenantId}"}`)).toBe(1);
    expect(sample(text, `duo_sync_tenant_status{tenant_id="${tenantId}",status="active"}`)).toBe(1);
    expect(sample(text, 'duo_sync_tenant_gauges_up')).toBe(1);
    // The checkpoint stops Duo's 2 minutes plus our safety margin before the run's start.
    const lag = sample(text, `duo_sync_tenant_sync_lag_seconds{tenant_id="${tenantId}",stream="auth"}`);
    expect(lag).toBeGreaterThanOrEqual(120 + harness.api.config.DUO_LOG_SAFETY_SECONDS - 1);
    expect(lag).toBeLessThan(900);
    expect(text).not.toContain('stream="telephony"'); // not enabled for this tenant
  });

  it('labels API requests by route template, never by the tenant in the path', async () => {
    await harness.status(tenantId);
    const text = await scrape();
    expect(text).toContain('route="/v1/tenants/:tenantId/integrations/duo",status_code="200"');
    expect(text).not.toMatch(/route="[^"]*obs-tenant/);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });

  it('carries no secret, Duo key or host, and no tenant id outside the tenant gauges', async () => {
    const text = await scrape();
    const config = harness.api.config;
    for (const secret of [account.secretKey, account.integrationKey, account.apiHost, config.API_TOKEN, config.ENCRYPTION_KEY, harness.simulator.origin]) {
      expect(text).not.toContain(secret);
    }
    const withTenant = text.split('\n').filter((line) => line.includes(tenantId)).map((line) => line.slice(0, line.indexOf('{')));
    for (const name of withTenant) expect(name).toMatch(/^duo_sync_(tenant|initial_sync)_/);
  });

  it('drops a tenant from the next scrape once it is disconnected', async () => {
    const response = await harness.api.app.inject({ method: 'DELETE', url: `/v1/tenants/${tenantId}/integrations/duo`, headers: harness.api.auth });
    expect(response.statusCode).toBe(200);
    expect(await scrape()).not.toContain(`tenant_id="${tenantId}"`);
  });

  it('still answers, with duo_sync_tenant_gauges_up 0, when Postgres is unreachable', async () => {
    const config = testConfig();
    const database = createDatabase(`postgres://postgres@127.0.0.1:${await closedPort()}/none`);
    const connection = Connection.lazy({ address: inject('temporalAddress') });
    const app = buildApp({
      db: database.db,
      config,
      keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }),
      temporal: new Client({ connection }),
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${config.API_TOKEN}` } });
      expect(response.statusCode).toBe(200);
      expect(sample(response.body, 'duo_sync_tenant_gauges_up')).toBe(0);
    } finally {
      await app.close();
      await connection.close();
      await database.sql.end({ timeout: 0 });
    }
  });
});

describe('tenantGaugeRegistry', () => {
  it('reports a running initial sync as windows done of windows total, and lag only for enabled streams', async () => {
    const day = 86_400_000;
    const registry = tenantGaugeRegistry(
      {
        tenants: [
          { tenantId: 't1', status: 'syncing', initialSyncState: 'running', anchorAt: new Date(10 * day), backfillStartAt: new Date(0), windowsDone: 3, enabledStreams: ['auth'] },
        ],
        checkpoints: [
          { tenantId: 't1', stream: 'auth', syncedThroughMs: 1_000_000 },
          { tenantId: 't1', stream: 'telephony', syncedThroughMs: 1_000_000 },
        ],
      },
      1_600_000,
    );
    const text = await registry.metrics();
    expect(sample(text, 'duo_sync_initial_sync_progress_ratio{tenant_id="t1"}')).toBeCloseTo(0.3);
    expect(sample(text, 'duo_sync_initial_sync_windows_done{tenant_id="t1"}')).toBe(3);
    expect(sample(text, 'duo_sync_initial_sync_windows_total{tenant_id="t1"}')).toBe(10);
    expect(sample(text, 'duo_sync_tenant_sync_lag_seconds{tenant_id="t1",stream="auth"}')).toBe(600);
    expect(text).not.toContain('stream="telephony"');
  });
});

describe('worker metrics endpoint (METRICS_PORT)', () => {
  let database: TestDatabase;
  let worker: WorkerProcess;
  let env: Record<string, string>;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = configToEnv(testConfig({ DATABASE_URL: database.url, TEMPORAL_ADDRESS: inject('temporalAddress'), METRICS_PORT: String(port), LOG_LEVEL: 'info' }));
    worker = startWorkerProcess(env);
    // Serving, and the SDK's worker metrics exist once the worker polls.
    await waitFor('the worker to poll and export SDK metrics', async () => {
      const response = await fetch(`${url}/metrics`).catch(() => undefined);
      return response?.ok === true && (await response.text()).includes('temporal_worker_task_slots_available');
    }, 90_000, 250);
  }, 120_000);
  afterAll(async () => {
    await worker?.kill();
    await database?.drop();
  });

  it('serves the Temporal SDK\'s metrics and ours on one endpoint', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain(`task_queue="${env.TEMPORAL_TASK_QUEUE}"`);
    expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
    expect(text).toContain('# TYPE duo_sync_duo_requests_total counter');
    expect(text).toContain('# TYPE duo_sync_rate_budget_wait_seconds histogram');
    expect(text).toContain('# TYPE duo_sync_events_ingested_total counter');
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    // Two exporters, one namespace each: no metric family is declared twice.
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]);
    expect(new Set(families).size).toBe(families.length);
  });

  it('carries no secret', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const secret of [env.API_TOKEN, env.ENCRYPTION_KEY]) expect(text).not.toContain(secret);
  });

  it('answers 404 elsewhere', async () => {
    expect((await fetch(`${url}/`)).status).toBe(404);
  });

  it('does not keep the worker from exiting on SIGTERM', async () => {
    await worker.kill('SIGTERM');
    expect(worker.child.exitCode).toBe(0);
    expect(worker.output()).toContain('worker stopped');
  });
});
