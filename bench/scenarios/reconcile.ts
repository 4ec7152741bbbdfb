import { randomBytes } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError, type ConnectionOptions } from '@temporalio/client';
import postgres from 'postgres';
import { loadConfig, type Config } from '../../config/config.js';
import { createDatabase } from '../../db/client.js';
import { runMigrations } from '../../db/migrate.js';
import { runReconciliationPass } from '../../integrations/reconciliation-pass.js';
import { reconcileSchedules } from '../../integrations/reconcile-schedules.js';
import { incrementalScheduleId } from '../../workflows/definitions.js';
import { adminUrl, databaseUrl, log } from '../lib/stack.js';

export interface ReconcileOptions {
  /** Integrations in Postgres, each with its schedule in Temporal. */
  tenants: number;
  /** Tenants whose desired state changes before the "some changed" pass. */
  changed: number;
  /** A Temporal server of its own: a full sweep lists every schedule in the namespace. */
  temporalAddress: string;
}

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/** One measured pass. */
export interface PassCost {
  pass: string;
  mode: string;
  /** Tenants whose schedule the pass compared with Postgres. */
  visited: number;
  ms: number;
  /** SQL statements sent (the advisory lock and the bookkeeping included). */
  queries: number;
  /** gRPC calls to Temporal, all kinds. */
  temporalCalls: number;
  temporalCallsByMethod: Record<string, number>;
}

export interface ReconcileResult {
  tenants: number;
  changed: number;
  passes: PassCost[];
}

/**
 * The cost of one reconciliation pass at N tenants: a changed-only pass when nothing changed, one
 * when some tenants changed, and the full sweep (what every worker did every interval before passes
 * were changed-only and held by one worker). Queries are counted at the client, Temporal calls by a
 * gRPC interceptor. Schedules are created paused (their rows say so), so nothing runs.
 */
export async function runReconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const name = `duo_sync_bench_reconcile_${randomBytes(4).toString('hex')}`;
  const url = databaseUrl(name);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await runMigrations(url);
  let queries = 0;
  const calls: string[] = [];
  const database = createDatabase(url, { poolSize: 5, onQuery: () => queries++ });
  const connection = await Connection.connect({
    address: options.temporalAddress,
    interceptors: [
      // Counts, then hands the call on unchanged (what the next interceptor returns is a full call).
      ((callOptions, nextCall) => {
        calls.push(callOptions.method_definition.path.split('/').at(-1) ?? '?');
        return nextCall(callOptions);
      }) as GrpcInterceptor,
    ],
  });
  const client = new Client({ connection });
  const config: Config = loadConfig({
    NODE_ENV: 'test',
    API_TOKEN: randomBytes(16).toString('hex'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DATABASE_URL: url,
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: `bench-reconcile-${randomBytes(4).toString('hex')}`,
  });
  const tenantIds = Array.from({ length: options.tenants }, (_, i) => `rc-${String(i).padStart(5, '0')}`);
  const passes: PassCost[] = [];
  const measure = async (pass: string, run: () => Promise<{ mode: string; visited: number }>) => {
    queries = 0;
    calls.length = 0;
    const started = performance.now();
    const { mode, visited } = await run();
    const ms = Math.round(performance.now() - started);
    const temporalCallsByMethod: Record<string, number> = {};
    for (const call of calls) temporalCallsByMethod[call] = (temporalCallsByMethod[call] ?? 0) + 1;
    const cost: PassCost = { pass, mode, visited, ms, queries, temporalCalls: calls.length, temporalCallsByMethod };
    log(`reconcile ${pass}: ${mode}, ${visited} tenants visited, ${ms} ms, ${queries} queries, ${calls.length} Temporal calls ${JSON.stringify(temporalCallsByMethod)}`);
    passes.push(cost);
  };
  const pass = (nowMs: number) => async () => {
    const result = await runReconciliationPass({ client, db: database.db, config }, nowMs);
    if (!result.ran) throw new Error('the pass did not take the lock');
    return result.report;
  };
  try {
    await database.sql`
      insert into tenants (id) select unnest(${tenantIds}::text[])`;
    await database.sql`
      insert into duo_integrations (tenant_id, api_host, integration_key, status, anchor_at, backfill_start_at,
        initial_sync_state, initial_sync_phase, initial_sync_started_at, schedule_paused, pause_note)
      select id, 'api-bench.duosecurity.com', 'DIXXXXXXXXXXXXXXXXXX', 'paused', now(), now() - interval '7 days',
        'completed', 'done', now(), true, 'bench: paused' from unnest(${tenantIds}::text[]) as id`;
    const start = Date.now();
    log(`reconcile: ${options.tenants} tenants in Postgres; the first pass creates their schedules`);
    await measure('first (creates every schedule)', pass(start));
    await measure('nothing changed', pass(start + 60_000));
    await database.sql`update duo_integrations set pause_note = 'bench: changed' where tenant_id = any(${tenantIds.slice(0, options.changed)})`;
    await measure(`${options.changed} changed`, pass(start + 120_000));
    await measure('full sweep, no drift', pass(start + config.RECONCILE_FULL_SWEEP_SECONDS * 1000 + 180_000));
    await measure('before: every tenant, every worker, every interval', () => reconcileSchedules(client, database.db, config));
    return { tenants: options.tenants, changed: options.changed, passes };
  } finally {
    log('reconcile: deleting the schedules');
    for (const tenantId of tenantIds) {
      await client.schedule
        .getHandle(incrementalScheduleId(tenantId))
        .delete()
        .catch((error: unknown) => {
          if (!(error instanceof ScheduleNotFoundError)) throw error;
        });
    }
    await connection.close();
    await database.close();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  }
}
