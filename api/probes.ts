import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Database } from '../db/client.js';
import { checkReadiness } from '../observability/readiness.js';
import { registerMetricsRoute } from './metrics-route.js';

export interface ProbeDeps {
  db: Database;
}

const probePaths = new Set(['/healthz', '/readyz']);

/** Whether a request is one of the two unauthenticated probes. */
export function isProbe(url: string): boolean {
  const query = url.indexOf('?');
  return probePaths.has(query === -1 ? url : url.slice(0, query));
}

/**
 * `/healthz`, `/readyz` and `/metrics`. Must be called before buildApp adds the bearer check:
 *
 * - The two probes are deliberately unauthenticated (orchestrators and load balancers send no token)
 *   and expose nothing: a fixed status word per dependency, no versions, hosts or error text. They are
 *   answered from an onRequest hook added first, which ends the request before the bearer check runs.
 * - `/healthz`: the process is alive and its event loop answers. `/readyz`: Postgres answers (200),
 *   else 503. Temporal is deliberately not checked: the usage API needs only Postgres, and a Temporal
 *   outage must not take it out of the load balancer (lifecycle routes answer 503 temporal_unavailable
 *   meanwhile). The worker's readiness checks both (worker/metrics-endpoint.ts).
 * - `/metrics` is an ordinary route: it needs a key with metrics:read.
 */
export function registerOperationalRoutes(app: FastifyInstance, deps: ProbeDeps): void {
  app.addHook('onRequest', async (request, reply) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !isProbe(request.url)) return;
    void reply.header('cache-control', 'no-store');
    if (request.url.startsWith('/healthz')) return reply.code(200).send({ status: 'ok' });
    const readiness = await checkReadiness({ database: () => deps.db.execute(sql`select 1`) }, request.log);
    return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
  });
  // Probe traffic every few seconds would drown the API's request metrics.
  registerMetricsRoute(app, deps, { skip: isProbe });
}
