import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Gauge, Histogram, Registry } from 'prom-client';
import { enableProcessMetrics, metricsRegistry } from '../observability/metrics.js';
import type { Database } from '../db/client.js';
import { readTenantGaugeRows, type CheckpointGaugeRow, type TenantGaugeRow } from '../db/tenant-gauges.js';
import { countBackfillWindows } from '../integrations/status.js';

/** A scrape must not hang on a slow database: tenant gauges are left out after this long. */
export const TENANT_GAUGES_TIMEOUT_MS = 5_000;

const httpDuration = new Histogram({
  name: 'duo_sync_http_request_duration_seconds',
  help: 'API requests by method, route template and status code (probes excluded).',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

/**
 * Pure: per-tenant gauges in a registry of their own, built per scrape so a tenant that disconnects
 * disappears from the next scrape. Tenant ids are the only per-tenant label; never hosts or keys.
 */
export function tenantGaugeRegistry(rows: { tenants: TenantGaugeRow[]; checkpoints: CheckpointGaugeRow[] }, nowMs: number): Registry {
  const registry = new Registry();
  const status = new Gauge({
    name: 'duo_sync_tenant_status',
    help: 'Integration status per connected tenant (1 for the current status: syncing, active, paused, needs_attention).',
    labelNames: ['tenant_id', 'status'] as const,
    registers: [registry],
  });
  const progress = new Gauge({
    name: 'duo_sync_initial_sync_progress_ratio',
    help: 'Share of the initial backfill\'s day windows done (1 once the initial sync completed).',
    labelNames: ['tenant_id'] as const,
    registers: [registry],
  });
  const windowsDone = new Gauge({
    name: 'duo_sync_initial_sync_windows_done',
    help: 'Day windows of the initial authentication-log backfill done, while the initial sync runs.',
    labelNames: ['tenant_id'] as const,
    registers: [registry],
  });
  const windowsTotal = new Gauge({
    name: 'duo_sync_initial_sync_windows_total',
    help: 'Day windows the initial authentication-log backfill covers, while the initial sync runs.',
    labelNames: ['tenant_id'] as const,
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'duo_sync_tenant_sync_lag_seconds',
    help: 'Now minus the incremental checkpoint per tenant and enabled stream (never below Duo\'s two-minute delay plus DUO_LOG_SAFETY_SECONDS).',
    labelNames: ['tenant_id', 'stream'] as const,
    registers: [registry],
  });

  const enabled = new Map<string, string[]>();
  for (const tenant of rows.tenants) {
    enabled.set(tenant.tenantId, tenant.enabledStreams);
    status.set({ tenant_id: tenant.tenantId, status: tenant.status }, 1);
    const total = countBackfillWindows(tenant.anchorAt.getTime(), tenant.backfillStartAt.getTime());
    if (tenant.initialSyncState === 'completed') {
      progress.set({ tenant_id: tenant.tenantId }, 1);
    } else if (tenant.windowsDone !== null) {
      const done = Math.min(total, tenant.windowsDone);
      progress.set({ tenant_id: tenant.tenantId }, total === 0 ? 1 : done / total);
      windowsDone.set({ tenant_id: tenant.tenantId }, done);
      windowsTotal.set({ tenant_id: tenant.tenantId }, total);
    }
  }
  for (const checkpoint of rows.checkpoints) {
    if (!enabled.get(checkpoint.tenantId)?.includes(checkpoint.stream)) continue;
    lag.set({ tenant_id: checkpoint.tenantId, stream: checkpoint.stream }, Math.max(0, (nowMs - checkpoint.syncedThroughMs) / 1000));
  }
  return registry;
}

async function scrapeTenantGauges(db: Database, log: FastifyBaseLogger): Promise<{ registry: Registry; ok: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const rows = await Promise.race([
      readTenantGaugeRows(db),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TENANT_GAUGES_TIMEOUT_MS} ms`)), TENANT_GAUGES_TIMEOUT_MS);
      }),
    ]);
    return { registry: tenantGaugeRegistry(rows, Date.now()), ok: true };
  } catch (error) {
    log.warn({ err: error }, 'tenant gauges left out of this scrape');
    return { registry: new Registry(), ok: false };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /metrics` (Prometheus text): this process's metrics (HTTP requests, Duo requests when the worker
 * shares the process, Node runtime) plus the per-tenant gauges read from Postgres at scrape time.
 * Needs a key with metrics:read (or admin): per-tenant series name customers.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  deps: { db: Database },
  options: { skip?: (url: string) => boolean } = {},
): void {
  enableProcessMetrics();
  app.addHook('onResponse', async (request, reply) => {
    if (options.skip?.(request.url)) return;
    httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  app.get('/metrics', { schema: { hide: true }, config: { scope: 'metrics:read' } }, async (request, reply) => {
    const tenants = await scrapeTenantGauges(deps.db, request.log);
    const scrapeOk = new Gauge({
      name: 'duo_sync_tenant_gauges_up',
      help: '1 when this scrape could read the per-tenant gauges from Postgres, else 0 (and they are missing).',
      registers: [tenants.registry],
    });
    scrapeOk.set(tenants.ok ? 1 : 0);
    const merged = Registry.merge([metricsRegistry, tenants.registry]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });
}
