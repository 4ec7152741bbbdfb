import { connectIntegration } from '../../integrations/connect.js';
import { syncNow } from '../../integrations/lifecycle.js';
import { DUO_LOG_DELAY_MS } from '../../duo/client.js';
import { startSimulator } from '../../simulator/server.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { authRecordPages } from '../lib/duo-pages.js';
import { credentialsOf, deleteSchedules, log, makeAccount, scenarioClient, scenarioEnv, startWorkerChild, type BenchStack } from '../lib/stack.js';
import { percentile, sleep } from '../lib/stats.js';
import { withDeadline } from '../lib/wait.js';

export interface FreshnessOptions {
  tenants: number;
  livePerMinute: number;
  observeSeconds: number;
  /** 0: the tenants' own 1-minute schedules run the syncs; otherwise "sync now" every this many seconds. */
  triggerSeconds: number;
  timeoutMs: number;
}

export interface FreshnessResult {
  tenants: number;
  /** The interval incremental runs started at (60 s for the schedule). */
  intervalSeconds: number;
  observedSeconds: number;
  /** Events that became visible in Duo inside the measured span. */
  events: number;
  /** Of those, not stored by the end (their lag is counted as at least the time they waited). */
  missing: number;
  lagP50Seconds: number;
  lagP95Seconds: number;
  lagMaxSeconds: number;
  lagMinSeconds: number;
}

/**
 * Scenario E: tenants whose Duo accounts keep producing events. After their initial syncs, the
 * incremental sync runs every interval; for every event that became visible in Duo (its time plus
 * Duo's two-minute delay) during the measured span, the lag until it was stored
 * (`duo_auth_events.ingested_at`, the storing transaction's start, i.e. queryable right after).
 */
export async function runFreshness(stack: BenchStack, options: FreshnessOptions): Promise<FreshnessResult> {
  const scheduled = options.triggerSeconds <= 0;
  const intervalSeconds = scheduled ? 60 : options.triggerSeconds;
  // History ends half an hour ago; live events run from there on, at the simulator's (real) clock.
  const anchorMs = Math.floor((Date.now() - 30 * 60_000) / 60_000) * 60_000;
  const accounts = Array.from({ length: options.tenants }, (_, i) =>
    makeAccount({ seed: 5000 + i, users: 40, groups: 3, authEvents: 200, days: 2, liveEventsPerMinute: options.livePerMinute, anchorMs }),
  );
  const tenantIds = accounts.map((_, i) => `bench-e-${String(i).padStart(3, '0')}`);
  const database = await stack.createDatabase('e');
  const simulator = await startSimulator({ accounts });
  const env = scenarioEnv(stack, database, simulator.origin, {
    BACKFILL_DAYS: '3',
    SYNC_INTERVAL_MINUTES: scheduled ? '1' : '60',
  });
  const client = scenarioClient(stack, env, 4);
  const worker = await startWorkerChild(stack, env);
  try {
    log(`e: ${options.tenants} tenants with ${options.livePerMinute} live events/min each; ${scheduled ? 'their 1-minute schedules' : `"sync now" every ${options.triggerSeconds} s`}, observed ${options.observeSeconds} s`);
    await withDeadline(
      Promise.all(
        accounts.map(async (account, i) => {
          const tenantId = tenantIds[i] as string;
          await connectIntegration(client.deps, tenantId, credentialsOf(account));
          await stack.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).result();
        }),
      ),
      options.timeoutMs,
      'e: initial syncs',
    );
    const readyAt = Date.now();
    const endAt = readyAt + options.observeSeconds * 1000;
    if (scheduled) {
      await sleep(endAt - Date.now());
    } else {
      while (Date.now() < endAt) {
        const round = Date.now();
        await Promise.all(tenantIds.map((tenantId) => syncNow(client.deps, tenantId).catch((error: unknown) => log(`e: sync now failed: ${String(error)}`))));
        await sleep(Math.min(endAt - Date.now(), options.triggerSeconds * 1000 - (Date.now() - round)));
      }
    }
    const observedAt = Date.now();
    await deleteSchedules(stack, tenantIds);

    // Only events that had the full chance to be fetched: the incremental window ends the safety
    // margin (DUO_LOG_SAFETY_SECONDS) before Duo's delay, plus one interval, schedule jitter and slack.
    const graceMs = (client.deps.config.DUO_LOG_SAFETY_SECONDS + intervalSeconds + (scheduled ? 12 : 0) + 30) * 1000;
    const visibleFrom = readyAt;
    const visibleTo = observedAt - graceMs;
    const lags: number[] = [];
    let missing = 0;
    for (const [i, account] of accounts.entries()) {
      const tenantId = tenantIds[i] as string;
      const rows = await client.database.sql<{ txid: string; ingested_ms: number }[]>`
        select txid, (extract(epoch from ingested_at) * 1000)::float8 as ingested_ms from duo_auth_events
        where tenant_id = ${tenantId} and occurred_at >= ${new Date(visibleFrom - DUO_LOG_DELAY_MS - 60_000).toISOString()}::timestamptz`;
      const ingested = new Map(rows.map((r) => [r.txid, r.ingested_ms]));
      const window = { mintimeMs: visibleFrom - DUO_LOG_DELAY_MS, maxtimeMs: visibleTo - DUO_LOG_DELAY_MS };
      if (window.maxtimeMs <= window.mintimeMs) break;
      for await (const page of authRecordPages(simulator.origin, account, window)) {
        for (const record of page.records) {
          const visibleMs = Date.parse(record.occurredAt) + DUO_LOG_DELAY_MS;
          if (visibleMs < visibleFrom || visibleMs >= visibleTo) continue;
          const at = ingested.get(record.txid);
          if (at === undefined) missing++;
          lags.push(((at ?? observedAt) - visibleMs) / 1000);
        }
      }
    }
    lags.sort((a, b) => a - b);
    const result: FreshnessResult = {
      tenants: options.tenants,
      intervalSeconds,
      observedSeconds: (observedAt - readyAt) / 1000,
      events: lags.length,
      missing,
      lagP50Seconds: percentile(lags, 50),
      lagP95Seconds: percentile(lags, 95),
      lagMaxSeconds: lags[lags.length - 1] ?? Number.NaN,
      lagMinSeconds: lags[0] ?? Number.NaN,
    };
    log(
      `e: ${lags.length} events became visible in a ${((visibleTo - visibleFrom) / 1000).toFixed(0)} s span (${missing} not stored by the end); ` +
        `lag from visible to stored p50 ${result.lagP50Seconds.toFixed(1)} s, p95 ${result.lagP95Seconds.toFixed(1)} s, ` +
        `min ${result.lagMinSeconds.toFixed(1)} s, max ${result.lagMaxSeconds.toFixed(1)} s (interval ${intervalSeconds} s)`,
    );
    return result;
  } finally {
    await worker.stop();
    await client.close();
    await simulator.close();
    await database.drop();
  }
}
