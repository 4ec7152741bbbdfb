import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EndpointClass, RequestBudget, RequestOutcome } from '../duo/request-budget.js';
import type { LogStream } from '../workflows/types.js';

/**
 * The process's own Prometheus metrics (one registry per process, like the root logger). The worker
 * serves it on METRICS_PORT next to the Temporal SDK's metrics, the API on `/metrics`.
 *
 * Labels are closed sets (endpoint class, outcome, stream): never a tenant, host, key or path, so
 * nothing secret can reach a label and cardinality stays fixed. Per-tenant gauges (lag, initial-sync
 * progress) are read from Postgres at scrape time by the API (api/metrics-route.ts) instead, so that every
 * worker replica does not report its own partial view.
 */
export const metricsRegistry = new Registry();

let processMetricsEnabled = false;

/** CPU, memory, event-loop lag and GC of this process; once per process, by whoever serves metrics. */
export function enableProcessMetrics(): void {
  if (processMetricsEnabled) return;
  processMetricsEnabled = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

const duoRequests = new Counter({
  name: 'duo_sync_duo_requests_total',
  help: 'Duo Admin API request attempts by endpoint class and outcome (rate_limited = HTTP 429).',
  labelNames: ['endpoint_class', 'outcome'] as const,
  registers: [metricsRegistry],
});

const budgetWait = new Histogram({
  name: 'duo_sync_rate_budget_wait_seconds',
  help: 'Time a Duo request waited for the shared per-account rate budget before it was sent.',
  labelNames: ['endpoint_class'] as const,
  // Duo log endpoints allow about one request a minute, so waits of minutes are normal there.
  buckets: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300],
  registers: [metricsRegistry],
});

const eventsIngested = new Counter({
  name: 'duo_sync_events_ingested_total',
  help: 'Log events newly stored per stream (re-delivered rows that were already stored are not counted).',
  labelNames: ['stream'] as const,
  registers: [metricsRegistry],
});

const lateEventsFound = new Counter({
  name: 'duo_sync_late_events_found_total',
  help: 'Authentication events the late-arrival sweep stored behind the checkpoint: Duo published them after the incremental sync had passed their time.',
  registers: [metricsRegistry],
});

/** Events a late-arrival sweep page stored that the incremental sync had not. */
export function recordLateEventsFound(count: number): void {
  if (count > 0) lateEventsFound.inc(count);
}

/** One attempt against Duo has ended (retries count again). */
export function recordDuoRequest(endpointClass: EndpointClass, outcome: RequestOutcome): void {
  duoRequests.inc({ endpoint_class: endpointClass, outcome });
}

/** Time one request spent waiting for its token in the shared budget (0 when granted at once). */
export function observeBudgetWait(endpointClass: EndpointClass, waitMs: number): void {
  budgetWait.observe({ endpoint_class: endpointClass }, Math.max(0, waitMs) / 1000);
}

/** Rows of a log stream that a committed page inserted (not re-delivered ones). */
export function recordEventsIngested(stream: LogStream, count: number): void {
  if (count > 0) eventsIngested.inc({ stream }, count);
}

/**
 * Wraps a request budget so every attempt records its wait and its outcome: the Duo transport calls
 * `acquire` before and `report` after each attempt, so wrapping the budget where a tenant's Duo client
 * is built covers every request without touching the client itself.
 */
export function instrumentBudget(budget: RequestBudget): RequestBudget {
  return {
    async acquire(endpointClass, signal) {
      const startedAt = performance.now();
      await budget.acquire(endpointClass, signal);
      observeBudgetWait(endpointClass, performance.now() - startedAt);
    },
    report(endpointClass, outcome) {
      recordDuoRequest(endpointClass, outcome);
      return budget.report(endpointClass, outcome);
    },
  };
}
