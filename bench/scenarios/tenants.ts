import { connectIntegration } from '../../integrations/connect.js';
import { startSimulator } from '../../simulator/server.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { largestHistory } from '../lib/history.js';
import { credentialsOf, deleteSchedules, log, makeAccount, scenarioClient, scenarioEnv, startWorkerChild, type BenchStack } from '../lib/stack.js';
import { median, percentile } from '../lib/stats.js';
import { withDeadline } from '../lib/wait.js';

export interface TenantsOptions {
  tenants: number;
  eventsPerTenant: number;
  usersPerTenant: number;
  days: number;
  timeoutMs: number;
}

export interface TenantsResult {
  tenants: number;
  completed: number;
  failed: number;
  eventsStored: number;
  medianSeconds: number;
  p95Seconds: number;
  slowestSeconds: number;
  fastestSeconds: number;
  slowestToMedian: number;
  totalSeconds: number;
  workerCpuSeconds: number;
  /** Worker CPU seconds per wall second while the tenants synced (2 = both cores). */
  workerCpuCores: number;
  workerPeakRssMb: number;
  maxHistoryEvents: number;
}

/**
 * Scenario D: K small tenants connect at the same instant (the connects themselves run
 * concurrently, as K API requests would); every initial sync must complete, and the slowest should
 * take at most twice the median. One worker process serves them all.
 */
export async function runTenants(stack: BenchStack, options: TenantsOptions): Promise<TenantsResult> {
  const anchorMs = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
  const accounts = Array.from({ length: options.tenants }, (_, i) =>
    makeAccount({ seed: 1000 + i, users: options.usersPerTenant, groups: 5, authEvents: options.eventsPerTenant, days: options.days, anchorMs }),
  );
  const tenantIds = accounts.map((_, i) => `bench-d-${String(i).padStart(4, '0')}`);
  const database = await stack.createDatabase('d');
  const simulator = await startSimulator({ accounts });
  const env = scenarioEnv(stack, database, simulator.origin, { BACKFILL_DAYS: String(Math.min(179, options.days + 1)) });
  const client = scenarioClient(stack, env, 10);
  const worker = await startWorkerChild(stack, env);
  try {
    log(`d: ${options.tenants} tenants × ${options.eventsPerTenant} events over ${options.days} days connect at once`);
    const cpuBefore = worker.sample().cpuSeconds;
    const started = Date.now();
    const outcomes = await withDeadline(
      Promise.allSettled(
        accounts.map(async (account, i) => {
          const tenantId = tenantIds[i] as string;
          await connectIntegration(client.deps, tenantId, credentialsOf(account));
          await stack.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).result();
          return (Date.now() - started) / 1000;
        }),
      ),
      options.timeoutMs,
      'd: all initial syncs',
    );
    const totalSeconds = (Date.now() - started) / 1000;
    const usage = worker.sample();
    const seconds = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])).sort((a, b) => a - b);
    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
    if (failures.length > 0) log(`d: ${failures.length} tenants failed, first: ${failures[0]}`);
    const [stored] = await client.database.sql<{ n: number }[]>`select count(*)::int as n from duo_auth_events`;
    const history = await largestHistory(stack.temporal, `TaskQueue = "${env.TEMPORAL_TASK_QUEUE}"`);
    const med = median(seconds);
    const result: TenantsResult = {
      tenants: options.tenants,
      completed: seconds.length,
      failed: failures.length,
      eventsStored: stored?.n ?? 0,
      medianSeconds: med,
      p95Seconds: percentile(seconds, 95),
      slowestSeconds: seconds[seconds.length - 1] ?? Number.NaN,
      fastestSeconds: seconds[0] ?? Number.NaN,
      slowestToMedian: (seconds[seconds.length - 1] ?? Number.NaN) / med,
      totalSeconds,
      workerCpuSeconds: usage.cpuSeconds - cpuBefore,
      workerCpuCores: (usage.cpuSeconds - cpuBefore) / totalSeconds,
      workerPeakRssMb: usage.peakRssMb,
      maxHistoryEvents: history.maxHistoryEvents,
    };
    log(
      `d: ${result.completed}/${options.tenants} complete, ${result.eventsStored} events; completion median ${med.toFixed(1)} s, ` +
        `p95 ${result.p95Seconds.toFixed(1)} s, slowest ${result.slowestSeconds.toFixed(1)} s (${result.slowestToMedian.toFixed(2)}× median), fastest ${result.fastestSeconds.toFixed(1)} s; ` +
        `worker ${result.workerCpuSeconds.toFixed(1)} CPU s (${result.workerCpuCores.toFixed(2)} cores), peak RSS ${usage.peakRssMb.toFixed(0)} MB`,
    );
    await deleteSchedules(stack, tenantIds);
    return result;
  } finally {
    await worker.stop();
    await client.close();
    await simulator.close();
    await database.drop();
  }
}
