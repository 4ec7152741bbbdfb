import { connectIntegration } from '../../integrations/connect.js';
import { startSimulator, type AccountSpec } from '../../simulator/server.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { createControlClient } from '../../simulator/control-client.js';
import { credentialsOf, deleteSchedules, log, makeAccount, scenarioClient, scenarioEnv, startWorkerChild, type BenchStack } from '../lib/stack.js';
import { sleep } from '../lib/stats.js';
import { withDeadline } from '../lib/wait.js';

export interface BudgetOptions {
  /** Duo's (the simulator's) limit on log endpoints, requests per minute, per account. */
  perMinute: number;
  events: number;
  days: number;
  /** Our configured ceiling as a multiple of Duo's real limit (1 = configured right). */
  ceilingFactor: number;
  label: string;
  timeoutMs: number;
}

export interface BudgetResult {
  label: string;
  perMinute: number;
  ceilingPerMinute: number;
  events: number;
  /** Log pages fetched successfully (status 200) by the backfill. */
  logPages: number;
  logCalls: number;
  rateLimited: number;
  /** From the first to the last backfill log request. */
  logPhaseSeconds: number;
  totalSeconds: number;
  /** Log pages per minute during the log phase ÷ Duo's limit. */
  budgetUse: number;
  share429: number;
}

interface LogCounts {
  ok: number;
  limited: number;
  total: number;
}

function logCounts(stats: { requests: { byClass: Record<string, Record<string, number>> } }): LogCounts {
  const byStatus = stats.requests.byClass.log ?? {};
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  return { ok: byStatus['200'] ?? 0, limited: byStatus['429'] ?? 0, total };
}

/**
 * Scenario C: one tenant whose Duo account enforces a per-minute limit on log endpoints. Pages per
 * minute while the backfill pages logs, as a share of that limit, and 429s as a share of log calls,
 * read from the simulator's own counters (sampled every 250 ms to find when log paging began and ended).
 */
export async function runBudget(stack: BenchStack, options: BudgetOptions): Promise<BudgetResult> {
  const tenantId = `bench-${options.label}`;
  const anchorMs = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
  const account: AccountSpec = makeAccount(
    { seed: 11, users: 200, groups: 10, authEvents: options.events, days: options.days, anchorMs },
    { logRequestsPerMinute: options.perMinute, objectRequestsPerMinute: 600_000 },
  );
  const ceiling = options.perMinute * options.ceilingFactor;
  const database = await stack.createDatabase(options.label);
  const simulator = await startSimulator({ accounts: [account] });
  const control = createControlClient(simulator.origin);
  const env = scenarioEnv(stack, database, simulator.origin, {
    BACKFILL_DAYS: String(Math.min(179, options.days + 1)),
    DUO_LOG_REQUESTS_PER_MINUTE: String(ceiling),
  });
  const client = scenarioClient(stack, env, 3);
  const worker = await startWorkerChild(stack, env);
  try {
    log(`${options.label}: Duo allows ${options.perMinute} log requests/min, our ceiling ${ceiling}/min; ${options.events} events over ${options.days} days`);
    const started = Date.now();
    await connectIntegration(client.deps, tenantId, credentialsOf(account));
    // The credential check made one log call; the backfill's calls come after it.
    const baseline = logCounts(await control.stats(account.integrationKey));
    let first: { at: number; counts: LogCounts } | undefined;
    let last: { at: number; counts: LogCounts } | undefined;
    let done = false;
    const result = stack.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).result().finally(() => {
      done = true;
    });
    const sampling = (async () => {
      let previous = baseline;
      while (!done) {
        await sleep(250);
        const counts = logCounts(await control.stats(account.integrationKey));
        const at = Date.now();
        if (counts.total > previous.total) {
          // The first sample with backfill calls: count from the sample before it, when none had been made.
          if (!first) first = { at: at - 125, counts: previous };
          last = { at: at - 125, counts };
        }
        previous = counts;
      }
    })();
    await withDeadline(result, options.timeoutMs, `${options.label} initial sync`);
    await sampling;
    const totalSeconds = (Date.now() - started) / 1000;
    const end = logCounts(await control.stats(account.integrationKey));
    const from = first?.counts ?? baseline;
    const to = last?.counts ?? end;
    const logPhaseSeconds = first && last ? (last.at - first.at) / 1000 : totalSeconds;
    const pagesInPhase = to.ok - from.ok;
    const logCalls = end.total - baseline.total;
    const rateLimited = end.limited - baseline.limited;
    const out: BudgetResult = {
      label: options.label,
      perMinute: options.perMinute,
      ceilingPerMinute: ceiling,
      events: options.events,
      logPages: end.ok - baseline.ok,
      logCalls,
      rateLimited,
      logPhaseSeconds,
      totalSeconds,
      // n requests evenly spaced span n - 1 intervals.
      budgetUse: Math.max(0, pagesInPhase - 1) / (logPhaseSeconds / 60) / options.perMinute,
      share429: logCalls > 0 ? rateLimited / logCalls : 0,
    };
    log(
      `${options.label}: ${out.logPages} log pages in ${logPhaseSeconds.toFixed(1)} s of log paging (${totalSeconds.toFixed(1)} s in all): ` +
        `${((Math.max(0, pagesInPhase - 1) / logPhaseSeconds) * 60).toFixed(1)}/min = ${(out.budgetUse * 100).toFixed(1)}% of Duo's ${options.perMinute}/min; ` +
        `${rateLimited} of ${logCalls} log calls answered 429 (${(out.share429 * 100).toFixed(2)}%)`,
    );
    await deleteSchedules(stack, [tenantId]);
    return out;
  } finally {
    await worker.stop();
    await client.close();
    await simulator.close();
    await database.drop();
  }
}

/**
 * A DuoLogSync-style puller fetches one page of up to 1000 events per poll (its minimum poll
 * interval is 120 s), walking the whole log in time order: ceil(events / 1000) polls.
 */
export function duoLogSyncHours(events: number, pollSeconds = 120): number {
  return (Math.ceil(events / 1000) * pollSeconds) / 3600;
}

/** Ours: the backfill's page count at Duo's real limit, at the budget share actually achieved. */
export function ourHours(logPages: number, duoPerMinute: number, budgetUse: number): number {
  return logPages / duoPerMinute / Math.max(0.01, Math.min(1, budgetUse)) / 60;
}
