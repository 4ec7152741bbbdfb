import { disconnectIntegration } from '../../integrations/lifecycle.js';
import { tenantPurgeWorkflowId } from '../../workflows/definitions.js';
import { log, scenarioClient, scenarioEnv, startWorkerChild, type BenchStack } from '../lib/stack.js';
import { LOADER, runScript } from './usage.js';

export interface PurgeOptions {
  events: number;
  users: number;
  timeoutMs: number;
}

export interface PurgeResult {
  events: number;
  /** Every row the purge deleted (events, users, rollups, counters …). */
  rows: number;
  seconds: number;
  eventsPerSecond: number;
  rowsPerSecond: number;
  batchRows: number;
}

/**
 * Scenario G: a tenant loaded with bench/load-usage-tenant.ts (events, users, groups, rollups as the
 * sync writes them) is purged through the API's own function and the purge workflow on a worker
 * process, from the request until the workflow returns: batches of PURGE_BATCH_ROWS, each its own
 * transaction with its progress row.
 */
export async function runPurge(stack: BenchStack, options: PurgeOptions): Promise<PurgeResult> {
  const tenantId = 'bench-g';
  const database = await stack.createDatabase('g');
  const env = scenarioEnv(stack, database, 'http://127.0.0.1:9');
  const client = scenarioClient(stack, env);
  try {
    log(`g: loading a tenant of ${options.users} users and ${options.events} events with ${LOADER}`);
    await runScript(LOADER, ['--events', String(options.events), '--users', String(options.users), '--tenant', tenantId], { DATABASE_URL: database.url }, options.timeoutMs);
    const [loaded] = await client.database.sql<{ events: number }[]>`select count(*)::int as events from duo_auth_events where tenant_id = ${tenantId}`;
    const worker = await startWorkerChild(stack, env);
    try {
      const started = process.hrtime.bigint();
      await disconnectIntegration(client.deps, tenantId, { purge: true });
      await stack.temporal.workflow.getHandle(tenantPurgeWorkflowId(tenantId)).result();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const [progress] = await client.database.sql<{ rows: number; events: number }[]>`
        select rows_deleted::float8 as rows, coalesce((deleted ->> 'duo_auth_events')::float8, 0) as events from tenant_purges where tenant_id = ${tenantId}`;
      const events = progress?.events ?? 0;
      if (events !== loaded?.events) throw new Error(`purge deleted ${events} events of ${loaded?.events ?? 0}`);
      const result = {
        events,
        rows: progress?.rows ?? 0,
        seconds,
        eventsPerSecond: events / seconds,
        rowsPerSecond: (progress?.rows ?? 0) / seconds,
        batchRows: client.config.PURGE_BATCH_ROWS,
      };
      log(`g: purged ${result.events} events (${result.rows} rows) in ${seconds.toFixed(1)} s: ${Math.round(result.eventsPerSecond)} events/s, batches of ${result.batchRows}`);
      return result;
    } finally {
      await worker.stop();
    }
  } finally {
    await client.close();
    await database.drop();
  }
}
