import { sql } from 'drizzle-orm';
import type { Client } from '@temporalio/client';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Database } from '../db/client.js';
import { registerMetricsRoute } from './metrics-route.js';

/** Each readiness check gets this long; a probe answers within it even when a dependency hangs. */
export const PROBE_TIMEOUT_MS = 2_000;

export type CheckResult = 'ok' | 'unreachable';

export interface Readiness {
  status: 'ready' | 'not_ready';
  checks: { database: CheckResult; temporal: CheckResult };
}

export interface ProbeDeps {
  db: Database;
  temporal: Client;
}

const probePaths = new Set(['/healthz', '/readyz']);

/** Whether a request is one of the two unauthenticated probes. */
export function isProbe(url: string): boolean {
  const query = url.indexOf('?');
  return probePaths.has(query === -1 ? url : url.slice(0, query));
}

async function check(name: string, run: () => Promise<unknown>, timeoutMs: number, log: FastifyBaseLogger): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      run(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (error) {
    // The reason goes to the log only: the probe's answer names the dependency, nothing about it.
    log.warn({ check: name, err: error }, 'readiness check failed');
    return 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Postgres answers `select 1` and Temporal answers GetSystemInfo, both within the timeout, in parallel.
 * `track` receives the Temporal call, which may outlive the answer (the client retries an unreachable
 * server until the call's deadline) and must settle before its connection is closed.
 */
export async function checkReadiness(
  deps: ProbeDeps,
  log: FastifyBaseLogger,
  options: { timeoutMs?: number; track?: (call: Promise<unknown>) => void } = {},
): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  const tracked = (call: Promise<unknown>) => {
    options.track?.(call);
    return call;
  };
  const [database, temporal] = await Promise.all([
    check('database', () => deps.db.execute(sql`select 1`), timeoutMs, log),
    check(
      'temporal',
      () => tracked(deps.temporal.connection.withDeadline(Date.now() + timeoutMs, () => deps.temporal.workflowService.getSystemInfo({}))),
      timeoutMs,
      log,
    ),
  ]);
  return { status: database === 'ok' && temporal === 'ok' ? 'ready' : 'not_ready', checks: { database, temporal } };
}

/**
 * `/healthz`, `/readyz` and `/metrics`. Must be called before buildApp adds the bearer check:
 *
 * - The two probes are deliberately unauthenticated (orchestrators and load balancers send no token)
 *   and expose nothing: a fixed status word per dependency, no versions, hosts or error text. They are
 *   answered from an onRequest hook added first, which ends the request before the bearer check runs.
 * - `/healthz`: the process is alive and its event loop answers. `/readyz`: database and Temporal are
 *   reachable (200), else 503.
 * - `/metrics` is an ordinary route and so stays behind the bearer token like every other route.
 */
export function registerOperationalRoutes(app: FastifyInstance, deps: ProbeDeps): void {
  // Temporal checks still running after their probe answered. A retry of the Temporal client that
  // fires after the connection was closed throws outside any promise, so closing waits for them
  // (bounded by the call deadline plus one retry delay) before the owner closes the connection.
  const outstanding = new Set<Promise<unknown>>();
  const track = (call: Promise<unknown>) => {
    outstanding.add(call);
    const settled = () => outstanding.delete(call);
    call.then(settled, settled);
  };
  app.addHook('onClose', async () => {
    await Promise.allSettled([...outstanding]);
  });
  app.addHook('onRequest', async (request, reply) => {
    if ((request.method !== 'GET' && request.method !== 'HEAD') || !isProbe(request.url)) return;
    void reply.header('cache-control', 'no-store');
    if (request.url.startsWith('/healthz')) return reply.code(200).send({ status: 'ok' });
    const readiness = await checkReadiness(deps, request.log, { track });
    return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
  });
  // Probe traffic every few seconds would drown the API's request metrics.
  registerMetricsRoute(app, deps, { skip: isProbe });
}
