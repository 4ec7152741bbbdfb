import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { MetricsExporterConfig } from '@temporalio/worker';
import type { Config } from '../config/config.js';
import { enableProcessMetrics, metricsRegistry } from '../observability/metrics.js';
import { checkReadiness } from '../observability/readiness.js';

/** What the worker's readiness checks: set once its connections exist. */
export type WorkerReadinessChecks = Record<'database' | 'temporal', () => Promise<unknown>>;

/** The SDK's exporter answers on loopback; a scrape waits at most this long for it. */
const SDK_SCRAPE_TIMEOUT_MS = 3_000;

export interface WorkerMetrics {
  /** For `Runtime.install({ telemetryOptions: { metrics } })`; undefined when METRICS_PORT is unset. */
  temporal: MetricsExporterConfig | undefined;
  /** Where the endpoint listens (`http://host:port/metrics`), or undefined. */
  url: string | undefined;
  /** Hands the endpoint the worker's checks; until then `/readyz` answers 503. */
  setReadinessChecks(checks: WorkerReadinessChecks): void;
  close(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * The worker's one Prometheus endpoint on METRICS_PORT (all interfaces, no auth: keep the port on the
 * internal network), with its probes: `/healthz` (the process answers) and `/readyz` (Postgres and
 * Temporal both answer). It serves our own metrics and, appended, the Temporal SDK's (Rust core) metrics,
 * which the Runtime exports on a private loopback port: Prometheus scrapes one target per worker.
 * Returns the exporter config to pass to Runtime.install, which must run after this and before any
 * connection exists. The server does not keep the process alive.
 */
export async function startWorkerMetrics(config: Pick<Config, 'METRICS_PORT'>, logger: Logger): Promise<WorkerMetrics> {
  if (config.METRICS_PORT === undefined) return { temporal: undefined, url: undefined, setReadinessChecks: () => {}, close: async () => {} };
  let readinessChecks: WorkerReadinessChecks | undefined;
  enableProcessMetrics();
  const sdkUrl = `http://127.0.0.1:${await freeLoopbackPort()}/metrics`;

  const sdkMetrics = async (): Promise<string> => {
    try {
      const response = await fetch(sdkUrl, { signal: AbortSignal.timeout(SDK_SCRAPE_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      return await response.text();
    } catch (error) {
      // Our own metrics still go out; the missing temporal_* series show the gap.
      logger.warn({ err: error }, 'Temporal SDK metrics unavailable for this scrape');
      return '';
    }
  };

  const serve = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method === 'GET' && path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (request.method === 'GET' && path === '/readyz') {
      // The worker needs both: it polls Temporal for tasks and its activities write to Postgres.
      const readiness = readinessChecks
        ? await checkReadiness(readinessChecks, logger)
        : { status: 'not_ready', checks: { database: 'unreachable', temporal: 'unreachable' } };
      response
        .writeHead(readiness.status === 'ready' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(readiness));
      return;
    }
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics, /healthz or /readyz\n');
      return;
    }
    const [ours, sdk] = await Promise.all([metricsRegistry.metrics(), sdkMetrics()]);
    response.writeHead(200, { 'content-type': metricsRegistry.contentType, 'cache-control': 'no-store' });
    response.end(sdk ? `${ours.endsWith('\n') ? ours : `${ours}\n`}${sdk}` : ours);
  };

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'metrics scrape failed');
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.METRICS_PORT, resolve);
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/metrics`;
  logger.info({ port }, 'worker metrics endpoint listening');
  return {
    temporal: { prometheus: { bindAddress: new URL(sdkUrl).host } },
    url,
    setReadinessChecks: (checks) => {
      readinessChecks = checks;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
