/**
 * The benchmark: ingest ceiling (A), scaling (B), Duo's budget (C), many tenants (D), freshness
 * (E), usage queries (F), onboarding at Duo's limits (G), purge (H) and the simulator's memory (I),
 * each against the real system (Temporal dev server, the worker as a child process, Postgres, the
 * Duo simulator over HTTP). Prints one table and writes
 * bench/results/<date>.json with one named key per figure.
 *
 *   npm run bench -- --preset small            # the CI smoke run, under 5 minutes on 2 cores
 *   npm run bench -- --preset full [--profile] # the sizes of docs/BENCHMARKS.md
 *   npm run bench -- --preset small --only a,c --a-events 100000
 *
 * Run `npm run bench -- --help` for every option.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import postgres from 'postgres';
import { duoLogSyncHours, ourHours, runBudget, type BudgetResult } from './scenarios/budget.js';
import { runFreshness, type FreshnessResult } from './scenarios/freshness.js';
import { runOnboarding, type OnboardingResult } from './scenarios/onboarding.js';
import { runIngest, type IngestResult } from './scenarios/ingest.js';
import { runPurge, type PurgeResult } from './scenarios/purge.js';
import { runTenants, type TenantsResult } from './scenarios/tenants.js';
import { runUsage, type UsageResult } from './scenarios/usage.js';
import { adminUrl, closeOpenStacks, log, repoRoot, startStack, type WorkerMode } from './lib/stack.js';
import { round } from './lib/stats.js';
import { measureMemory, type MemoryReport } from '../simulator/measure-memory.js';
import { workerHeapFlag } from '../worker/heap-limit.js';

export type Scenario = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i';
const ALL: Scenario[] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];

export interface BenchOptions {
  preset: 'small' | 'full';
  only: Scenario[];
  a: { events: number; users: number; groups: number; days: number; components: boolean };
  b: { events: [number, number] };
  c: { perMinute: number; events: number; days: number; overconfigured: number };
  d: { tenants: number; events: number; users: number; days: number };
  e: { tenants: number; livePerMinute: number; observeSeconds: number; triggerSeconds: number; overlap: boolean };
  f: { events: number; users: number; runs: number; databaseUrl?: string | undefined; tenant: string };
  /** The simulator alone in a child process, paged through over HTTP: its peak memory. */
  i: { events: number; users: number; days: number };
  h: { events: number; users: number };
  g: { tenants: number; perMinute: number; pageSize: number; days: number; requestsPerAccount: number; users: number; workers: number; killOneAfterSeconds: number; statusPerSecond: number; timeoutMinutes: number };
  profile: boolean;
  write: boolean;
  /** Fold these scenarios into today's results file instead of replacing it. */
  merge: boolean;
  jsonPath?: string | undefined;
  temporalAddress?: string | undefined;
  /** The worker children: the compiled production build (default) or source through tsx. */
  worker: WorkerMode;
  /** Extra node flags for the worker children (experiments, e.g. --max-semi-space-size=4). */
  workerNodeArgs: string[];
  /** Settings of the service under test, over every scenario's (`--env KEY=VALUE,…`). */
  serviceEnv: Record<string, string>;
  /** Per scenario run (one initial sync, one scenario). */
  timeoutMs: number;
}

export const presets: Record<'small' | 'full', Omit<BenchOptions, 'only' | 'profile' | 'write' | 'jsonPath' | 'temporalAddress' | 'worker' | 'workerNodeArgs' | 'serviceEnv' | 'merge'>> = {
  small: {
    preset: 'small',
    a: { events: 50_000, users: 2_000, groups: 20, days: 30, components: true },
    b: { events: [25_000, 50_000] },
    c: { perMinute: 120, events: 24_000, days: 60, overconfigured: 0 },
    d: { tenants: 20, events: 1_000, users: 20, days: 7 },
    e: { tenants: 5, livePerMinute: 30, observeSeconds: 150, triggerSeconds: 15, overlap: true },
    f: { events: 20_000, users: 2_000, runs: 20, tenant: 'bench' },
    i: { events: 50_000, users: 2_000, days: 30 },
    h: { events: 20_000, users: 1_000 },
    g: { tenants: 50, perMinute: 30, pageSize: 50, days: 7, requestsPerAccount: 28, users: 20, workers: 1, killOneAfterSeconds: 0, statusPerSecond: 50, timeoutMinutes: 30 },
    timeoutMs: 10 * 60_000,
  },
  full: {
    preset: 'full',
    a: { events: 2_000_000, users: 20_000, groups: 100, days: 179, components: true },
    b: { events: [500_000, 5_000_000] },
    c: { perMinute: 60, events: 300_000, days: 179, overconfigured: 2 },
    d: { tenants: 200, events: 5_000, users: 50, days: 14 },
    e: { tenants: 50, livePerMinute: 10, observeSeconds: 600, triggerSeconds: 0, overlap: false },
    f: { events: 10_000_000, users: 50_000, runs: 200, tenant: 'bench' },
    i: { events: 1_000_000, users: 10_000, days: 30 },
    h: { events: 200_000, users: 5_000 },
    // Duo's real 2 log requests a minute: ~28 requests are ~14 minutes of each account's budget.
    g: { tenants: 1000, perMinute: 2, pageSize: 50, days: 7, requestsPerAccount: 28, users: 20, workers: 1, killOneAfterSeconds: 0, statusPerSecond: 50, timeoutMinutes: 120 },
    timeoutMs: 4 * 3600_000,
  },
};

export interface Target {
  figure: string;
  text: string;
  met: boolean;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  preset: string;
  options: BenchOptions;
  machine: Record<string, string | number>;
  /** One named, finite number per figure. */
  figures: Record<string, number>;
  targets: Target[];
  /** Figures that were not measured, and why. */
  notMeasured: Record<string, string>;
  details: Record<string, unknown>;
  /** When (and on how loaded a machine) each scenario's figures were measured. */
  scenarioRuns: Partial<Record<Scenario, { startedAt: string; finishedAt: string; preset: string; loadAverage: string }>>;
}

/** Every figure key a complete run produces, by scenario (the smoke test checks them). */
export const figureKeys: Record<Scenario, string[]> = {
  a: [
    'eventsPerSecond', 'copyEventsPerSecond', 'copyRatio', 'aEvents', 'aSeconds', 'rosterSeconds', 'logPhaseEventsPerSecond',
    'simulatorEventsPerSecond', 'storeEventsPerSecond', 'storeMsPerPage', 'workerPeakRssMb', 'workerStartRssMb', 'workerCpuSeconds', 'postgresCpuSeconds', 'simulatorCpuSeconds', 'temporalCpuSeconds',
    'maxHistoryEvents', 'baselineHoursForA', 'oursHoursAt1PerMinuteForA', 'oursHoursAt2PerMinuteForA',
    'bytesPerEvent', 'bytesPerEventAllIn', 'partitionDropSeconds', 'partitionDropRows',
  ],
  b: ['bSmallEvents', 'bLargeEvents', 'bSmallEventsPerSecond', 'bLargeEventsPerSecond', 'timePerEventRatio', 'logPhaseTimePerEventRatio', 'workerPeakRssMbSmall', 'workerPeakRssMbLarge', 'rssDifference'],
  c: ['budgetUse', 'share429', 'cLogPages', 'cLogPhaseSeconds', 'cEvents', 'baselineHoursForC', 'oursHoursAt1PerMinuteForC', 'budgetUseOverconfigured', 'share429Overconfigured'],
  d: ['dTenants', 'dCompletedShare', 'slowestToMedian', 'dMedianSeconds', 'dSlowestSeconds', 'dWorkerCpuSeconds', 'dWorkerCpuCores', 'dWorkerPeakRssMb'],
  e: ['lagP50Seconds', 'lagP95Seconds', 'lagMaxSeconds', 'lagEvents', 'lagMissing', 'freshnessIntervalSeconds'],
  f: ['usageP50Ms', 'usageP95Ms', 'usageP99Ms', 'usageEvents', 'usageUsers'],
  i: ['simulatorPeakRssMb', 'simulatorStartRssMb', 'simulatorServedEvents', 'simulatorServeSeconds'],
  h: ['purgeEventsPerSecond', 'purgeRowsPerSecond', 'purgeEvents', 'purgeSeconds'],
  g: [
    'gTenants', 'gWorkers', 'gCompletedShare', 'gInexactTenants', 'onboardingEfficiency', 'gOnboardingSeconds', 'gBusiestAccountBudgetSeconds', 'aggregateBudgetUse',
    'gShare429', 'gPeakMinuteToLimit', 'firstDataP95Seconds', 'gWorkerPeakRssMb', 'gWorkerCpuSeconds', 'gPagesPerWorkerCpuSecond', 'gTemporalCpuSeconds', 'gMaxPostgresConnections', 'gConfiguredPoolConnections', 'statusP95Ms',
    'initialSyncActionsPerTenant', 'temporalActionsPerTenantDay',
  ],
};

async function postgresVersion(): Promise<string> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ v: string }[]>`select current_setting('server_version') as v`;
    return row?.v ?? 'unknown';
  } finally {
    await sql.end({ timeout: 5 });
  }
}

let runtimeInstalled = false;

/** Runs the selected scenarios and returns every figure; never throws for one failed scenario. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const startedAt = new Date();
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const figures: Record<string, number> = {};
  const notMeasured: Record<string, string> = {};
  const details: Record<string, unknown> = {};
  const only = new Set(options.only);
  /** The largest workflow history per scenario that starts initial syncs (figure: the max). */
  const histories: Record<string, number> = {};
  details.maxHistoryEventsByScenario = histories;
  const machine: Record<string, string | number> = {
    cpus: availableParallelism(),
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    postgres: await postgresVersion(),
    loadAverageAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
    worker: `${options.worker === 'build' ? 'compiled build (node dist/worker/main.js)' : 'sources through tsx (node --import tsx worker/main.ts)'}${options.workerNodeArgs.length ? ` with ${options.workerNodeArgs.join(' ')}` : ''}${Object.keys(options.serviceEnv).length ? `, settings ${Object.entries(options.serviceEnv).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
  };
  const set = (values: Record<string, number>) => {
    for (const [key, value] of Object.entries(values)) figures[key] = round(value, value !== 0 && Math.abs(value) < 1 ? 4 : 2);
  };
  const failed = (scenario: Scenario, error: unknown) => {
    const reason = `scenario ${scenario.toUpperCase()} failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 1000);
    log(reason);
    for (const key of figureKeys[scenario]) if (!(key in figures)) notMeasured[key] = reason;
  };

  const stack = await startStack({ temporalAddress: options.temporalAddress, worker: options.worker, workerNodeArgs: options.workerNodeArgs, serviceEnv: options.serviceEnv });
  try {
    // E is mostly waiting for the clock; in the small preset it runs beside the others.
    const runE = async () => {
      try {
        const e: FreshnessResult = await runFreshness(stack, { ...options.e, timeoutMs: options.timeoutMs });
        details.e = e;
        set({
          lagP50Seconds: e.lagP50Seconds,
          lagP95Seconds: e.lagP95Seconds,
          lagMaxSeconds: e.lagMaxSeconds,
          lagEvents: e.events,
          lagMissing: e.missing,
          freshnessIntervalSeconds: e.intervalSeconds,
        });
      } catch (error) {
        failed('e', error);
      }
    };
    const backgroundE = only.has('e') && options.e.overlap ? runE() : undefined;

    let a: IngestResult | undefined;
    if (only.has('a')) {
      try {
        a = await runIngest(stack, {
          label: 'a',
          ...options.a,
          copy: true,
          // Raw profiles stay out of the repository (tens of MB); the summary goes into the results.
          profileDir: options.profile ? join(tmpdir(), `duo-bench-profile-${startedAt.toISOString().replace(/[:.]/g, '-')}`) : undefined,
          timeoutMs: options.timeoutMs,
        });
        details.a = { ...a, explain: a.explain?.plan, profile: a.profile };
        histories.a = a.maxHistoryEvents;
        set({
          eventsPerSecond: a.eventsPerSecond,
          copyEventsPerSecond: a.copy?.rowsPerSecond ?? Number.NaN,
          copyRatio: a.eventsPerSecond / (a.copy?.rowsPerSecond ?? Number.NaN),
          aEvents: a.eventsStored,
          aSeconds: a.seconds,
          rosterSeconds: a.rosterSeconds,
          logPhaseEventsPerSecond: a.logPhaseEventsPerSecond,
          workerPeakRssMb: a.workerPeakRssMb,
          workerStartRssMb: a.workerStartRssMb,
          workerCpuSeconds: a.workerCpuSeconds,
          postgresCpuSeconds: a.postgresCpuSeconds,
          simulatorCpuSeconds: a.simulatorCpuSeconds,
          baselineHoursForA: duoLogSyncHours(a.eventsStored),
          oursHoursAt1PerMinuteForA: ourHours(a.logPages, 1, 1),
          oursHoursAt2PerMinuteForA: ourHours(a.logPages, 2, 1),
          bytesPerEvent: a.bytesPerEvent ?? Number.NaN,
          bytesPerEventAllIn: a.bytesPerEventAllIn ?? Number.NaN,
          partitionDropSeconds: a.partitionDropSeconds ?? Number.NaN,
          partitionDropRows: a.partitionDropRows ?? Number.NaN,
        });
        if (Number.isFinite(a.temporalCpuSeconds)) set({ temporalCpuSeconds: a.temporalCpuSeconds });
        else notMeasured.temporalCpuSeconds = 'not measured: Temporal was not started by the bench (--temporal-address)';
        if (a.simulatorEventsPerSecond !== undefined) set({ simulatorEventsPerSecond: a.simulatorEventsPerSecond });
        if (a.storeEventsPerSecond !== undefined) set({ storeEventsPerSecond: a.storeEventsPerSecond, storeMsPerPage: a.storeMsPerPage ?? Number.NaN });
        for (const key of ['simulatorEventsPerSecond', 'storeEventsPerSecond', 'storeMsPerPage']) {
          if (!(key in figures)) notMeasured[key] = 'component measurement switched off (--no-components)';
        }
      } catch (error) {
        failed('a', error);
      }
    }

    if (only.has('b')) {
      try {
        const runs: IngestResult[] = [];
        for (const events of options.b.events) {
          const reuse = a && events === options.a.events ? a : undefined;
          runs.push(
            reuse ??
              (await runIngest(stack, {
                label: `b${events}`,
                events,
                users: options.a.users,
                groups: options.a.groups,
                days: options.a.days,
                copy: false,
                components: false,
                timeoutMs: options.timeoutMs,
              })),
          );
        }
        const [small, large] = runs as [IngestResult, IngestResult];
        details.b = runs.map(({ explain: _e, profile: _p, ...rest }) => rest);
        set({
          bSmallEvents: small.eventsStored,
          bLargeEvents: large.eventsStored,
          bSmallEventsPerSecond: small.eventsPerSecond,
          bLargeEventsPerSecond: large.eventsPerSecond,
          timePerEventRatio: large.seconds / large.eventsStored / (small.seconds / small.eventsStored),
          logPhaseTimePerEventRatio: (large.seconds - large.rosterSeconds) / large.eventsStored / ((small.seconds - small.rosterSeconds) / small.eventsStored),
          workerPeakRssMbSmall: small.workerPeakRssMb,
          workerPeakRssMbLarge: large.workerPeakRssMb,
          rssDifference: Math.abs(large.workerPeakRssMb - small.workerPeakRssMb) / small.workerPeakRssMb,
        });
        histories.b = Math.max(small.maxHistoryEvents, large.maxHistoryEvents);
      } catch (error) {
        failed('b', error);
      }
    }

    if (only.has('c')) {
      try {
        const runs: Promise<BudgetResult>[] = [
          runBudget(stack, { label: 'c', perMinute: options.c.perMinute, events: options.c.events, days: options.c.days, ceilingFactor: 1, timeoutMs: options.timeoutMs }),
        ];
        if (options.c.overconfigured > 0) {
          runs.push(
            runBudget(stack, {
              label: 'c-over',
              perMinute: options.c.perMinute,
              events: options.c.events,
              days: options.c.days,
              ceilingFactor: options.c.overconfigured,
              timeoutMs: options.timeoutMs,
            }),
          );
        }
        const [c, over] = await Promise.all(runs);
        if (!c) throw new Error('no result');
        details.c = { configured: c, overconfigured: over ?? null };
        set({
          budgetUse: c.budgetUse,
          share429: c.share429,
          cLogPages: c.logPages,
          cLogPhaseSeconds: c.logPhaseSeconds,
          cEvents: c.events,
          baselineHoursForC: duoLogSyncHours(c.events),
          oursHoursAt1PerMinuteForC: ourHours(c.logPages, 1, c.budgetUse),
        });
        if (over) set({ budgetUseOverconfigured: over.budgetUse, share429Overconfigured: over.share429 });
        else {
          const reason = 'not run: --c-overconfigured 0 (the small preset skips it: its run is shorter than the simulator bucket\'s one-minute burst, so no 429 could occur)';
          notMeasured.budgetUseOverconfigured = reason;
          notMeasured.share429Overconfigured = reason;
        }
      } catch (error) {
        failed('c', error);
      }
    }

    if (only.has('d')) {
      try {
        const d: TenantsResult = await runTenants(stack, {
          tenants: options.d.tenants,
          eventsPerTenant: options.d.events,
          usersPerTenant: options.d.users,
          days: options.d.days,
          timeoutMs: options.timeoutMs,
        });
        details.d = d;
        set({
          dTenants: d.tenants,
          dCompletedShare: d.completed / d.tenants,
          slowestToMedian: d.slowestToMedian,
          dMedianSeconds: d.medianSeconds,
          dSlowestSeconds: d.slowestSeconds,
          dWorkerCpuSeconds: d.workerCpuSeconds,
          dWorkerCpuCores: d.workerCpuCores,
          dWorkerPeakRssMb: d.workerPeakRssMb,
        });
        histories.d = d.maxHistoryEvents;
      } catch (error) {
        failed('d', error);
      }
    }

    if (only.has('e') && !backgroundE) await runE();

    if (only.has('f')) {
      try {
        const f: UsageResult = await runUsage(stack, { ...options.f, timeoutMs: options.timeoutMs });
        details.f = f;
        if (f.measured) set({ usageP50Ms: f.p50Ms, usageP95Ms: f.p95Ms, usageP99Ms: f.p99Ms, usageEvents: f.events, usageUsers: f.users });
        else for (const key of figureKeys.f) notMeasured[key] = `not measured: ${f.reason}`;
      } catch (error) {
        failed('f', error);
      }
    }
    if (only.has('h')) {
      try {
        const h: PurgeResult = await runPurge(stack, { ...options.h, timeoutMs: options.timeoutMs });
        details.h = h;
        set({ purgeEventsPerSecond: h.eventsPerSecond, purgeRowsPerSecond: h.rowsPerSecond, purgeEvents: h.events, purgeSeconds: h.seconds });
      } catch (error) {
        failed('h', error);
      }
    }
    if (only.has('g')) {
      try {
        const g: OnboardingResult = await runOnboarding(stack, {
          tenants: options.g.tenants,
          perMinute: options.g.perMinute,
          pageSize: options.g.pageSize,
          days: options.g.days,
          requestsPerAccount: options.g.requestsPerAccount,
          usersPerTenant: options.g.users,
          workers: options.g.workers,
          killOneAfterSeconds: options.g.killOneAfterSeconds,
          statusPerSecond: options.g.statusPerSecond,
          timeoutMs: options.g.timeoutMinutes * 60_000,
        });
        details.g = g;
        set({
          gTenants: g.tenants,
          gWorkers: g.workers,
          gCompletedShare: g.completed / g.tenants,
          gInexactTenants: g.inexactTenants,
          onboardingEfficiency: g.onboardingEfficiency,
          gOnboardingSeconds: g.onboardingSeconds,
          gBusiestAccountBudgetSeconds: g.busiestAccountBudgetSeconds,
          aggregateBudgetUse: g.aggregateBudgetUse,
          gShare429: g.share429,
          gPeakMinuteToLimit: g.peakMinuteToLimit,
          firstDataP95Seconds: g.firstDataP95Seconds,
          gWorkerPeakRssMb: g.workerPeakRssMb,
          gWorkerCpuSeconds: g.workerCpuSeconds,
          gPagesPerWorkerCpuSecond: g.pagesPerWorkerCpuSecond,
          ...(g.temporalCpuSeconds === null ? {} : { gTemporalCpuSeconds: g.temporalCpuSeconds }),
          gMaxPostgresConnections: g.maxPostgresConnections,
          gConfiguredPoolConnections: g.configuredPoolConnections,
          statusP95Ms: g.statusP95Ms,
          initialSyncActionsPerTenant: g.initialSyncActionsPerTenant.total,
          temporalActionsPerTenantDay: g.temporalActionsPerTenantDay,
        });
      } catch (error) {
        failed('g', error);
      }
    }
    await backgroundE;

    if (only.has('i')) {
      try {
        const i: MemoryReport = await measureMemory(options.i);
        details.i = i;
        if (!i.ordered || i.events !== i.totalObjects) throw new Error(`the simulator served ${i.events} of ${i.totalObjects} events${i.ordered ? '' : ', out of order'}`);
        set({ simulatorPeakRssMb: i.peakRssBytes / 1024 ** 2, simulatorStartRssMb: i.startRssBytes / 1024 ** 2, simulatorServedEvents: i.events, simulatorServeSeconds: i.seconds });
      } catch (error) {
        failed('i', error);
      }
    }
  } finally {
    await stack.close();
  }

  if (Object.keys(histories).length > 0) figures.maxHistoryEvents = Math.max(...Object.values(histories));
  else if (only.has('a')) notMeasured.maxHistoryEvents ??= 'no initial sync completed';
  for (const [key, value] of Object.entries(figures)) {
    if (!Number.isFinite(value)) {
      delete figures[key];
      notMeasured[key] ??= 'no finite value';
    }
  }
  machine.loadAverageAtEnd = loadavg().map((l) => l.toFixed(2)).join(' ');
  const finishedAt = new Date().toISOString();
  const scenarioRuns: BenchResults['scenarioRuns'] = {};
  for (const scenario of options.only) {
    scenarioRuns[scenario] = { startedAt: startedAt.toISOString(), finishedAt, preset: options.preset, loadAverage: `${machine.loadAverageAtStart} → ${machine.loadAverageAtEnd}` };
  }
  return { startedAt: startedAt.toISOString(), finishedAt, preset: options.preset, options, machine, figures, targets: computeTargets(figures), notMeasured, details, scenarioRuns };
}

/** The targets of docs/BENCHMARKS.md, for the figures that exist. */
export function computeTargets(figures: Record<string, number>): Target[] {
  const targets: Target[] = [];
  const target = (figure: string, text: string, ok: (v: number) => boolean) => {
    const value = figures[figure];
    if (value !== undefined) targets.push({ figure, text, met: ok(value) });
  };
  target('copyRatio', '≥ 0.5', (v) => v >= 0.5);
  target('bytesPerEvent', '≤ 600', (v) => v <= 600);
  target('bytesPerEventAllIn', '≤ 1200', (v) => v <= 1200);
  target('timePerEventRatio', '0.85–1.15', (v) => Math.abs(v - 1) <= 0.15);
  target('workerPeakRssMbSmall', '< 300 MB', (v) => v < 300);
  target('workerPeakRssMbLarge', '< 300 MB', (v) => v < 300);
  target('rssDifference', '< 0.2', (v) => v < 0.2);
  target('budgetUse', '≥ 0.9', (v) => v >= 0.9);
  target('share429', '< 0.02', (v) => v < 0.02);
  target('share429Overconfigured', '< 0.02', (v) => v < 0.02);
  target('dCompletedShare', '= 1 (all complete)', (v) => v === 1);
  target('slowestToMedian', '≤ 2', (v) => v <= 2);
  const interval = figures.freshnessIntervalSeconds ?? 60;
  target('lagP95Seconds', `< ${interval + 30} s (interval + 30 s)`, (v) => v < interval + 30);
  target('usageP95Ms', '< 150 ms (every endpoint)', (v) => v < 150);
  target('simulatorPeakRssMb', '< 300 MB', (v) => v < 300);
  target('gCompletedShare', '= 1 (all complete)', (v) => v === 1);
  target('gInexactTenants', '= 0 (every tenant exact)', (v) => v === 0);
  target('onboardingEfficiency', '≥ 0.8', (v) => v >= 0.8);
  target('aggregateBudgetUse', '≥ 0.9', (v) => v >= 0.9);
  target('gShare429', '< 0.02', (v) => v < 0.02);
  target('gPeakMinuteToLimit', '≤ 1 (no account above its limit in any minute)', (v) => v <= 1);
  target('firstDataP95Seconds', '≤ 120 s', (v) => v <= 120);
  target('gWorkerPeakRssMb', '< 400 MB', (v) => v < 400);
  target('statusP95Ms', '< 25 ms', (v) => v < 25);
  return targets;
}

/**
 * Folds a run of some scenarios into an earlier results file of the same day: the scenarios just
 * run replace theirs, the others keep their figures, and scenarioRuns says which run each came from.
 */
export function mergeResults(previous: BenchResults, current: BenchResults): BenchResults {
  const ran = new Set(Object.keys(current.scenarioRuns) as Scenario[]);
  const keep = <T>(record: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).filter(([key]) => !ran.has(figureScenario(key) ?? ('-' as Scenario))));
  const figures = { ...keep(previous.figures), ...current.figures };
  const notMeasured = { ...keep(previous.notMeasured), ...current.notMeasured };
  for (const key of Object.keys(figures)) if (key in current.figures) delete notMeasured[key];
  const histories = {
    ...((previous.details.maxHistoryEventsByScenario as Record<string, number> | undefined) ?? {}),
    ...((current.details.maxHistoryEventsByScenario as Record<string, number> | undefined) ?? {}),
  };
  if (Object.keys(histories).length > 0) {
    figures.maxHistoryEvents = Math.max(...Object.values(histories));
    delete notMeasured.maxHistoryEvents;
  }
  const details = { ...previous.details, ...current.details, maxHistoryEventsByScenario: histories };
  return {
    ...current,
    startedAt: previous.startedAt < current.startedAt ? previous.startedAt : current.startedAt,
    figures,
    notMeasured,
    details,
    targets: computeTargets(figures),
    scenarioRuns: { ...previous.scenarioRuns, ...current.scenarioRuns },
  };
}

function figureScenario(key: string): Scenario | undefined {
  return ALL.find((scenario) => figureKeys[scenario].includes(key));
}

// --- output ----------------------------------------------------------------------------------------

const LABELS: Record<string, string> = {
  eventsPerSecond: 'end-to-end events/s (connect → initial sync complete)',
  copyEventsPerSecond: 'COPY of the same rows, rows/s',
  copyRatio: 'end-to-end ÷ COPY',
  aEvents: 'events stored',
  aSeconds: 'seconds, connect → complete',
  rosterSeconds: 'seconds before the first log page (check, start, roster)',
  logPhaseEventsPerSecond: 'events/s while paging logs',
  simulatorEventsPerSecond: 'simulator + Duo client alone, events/s',
  storeEventsPerSecond: 'storeAuthEvents alone, events/s',
  storeMsPerPage: 'storeAuthEvents ms per 1000-row page',
  workerPeakRssMb: 'worker peak RSS, MB',
  workerStartRssMb: 'worker RSS once started, MB',
  workerCpuSeconds: 'worker CPU seconds',
  postgresCpuSeconds: 'Postgres backends (this database) CPU seconds',
  simulatorCpuSeconds: 'simulator (bench process) CPU seconds',
  temporalCpuSeconds: 'Temporal dev server CPU seconds',
  maxHistoryEvents: 'largest workflow history, events (A, B, D)',
  baselineHoursForA: 'DuoLogSync-style (1 page/120 s) hours for A\'s data',
  oursHoursAt1PerMinuteForA: 'ours at Duo 1 req/min, hours for A\'s data',
  oursHoursAt2PerMinuteForA: 'ours at Duo 2 req/min, hours for A\'s data',
  bytesPerEvent: 'event table (partitions, indexes, TOAST) bytes per event, after VACUUM',
  bytesPerEventAllIn: 'database bytes per event, after VACUUM',
  purgeEventsPerSecond: 'purge: events deleted per second (workflow, request to done)',
  purgeRowsPerSecond: 'purge: rows deleted per second, all tables',
  purgeEvents: 'purge: events deleted',
  purgeSeconds: 'purge: seconds from request to done',
  partitionDropSeconds: 'retention: drop of the fullest month\'s partition, s',
  partitionDropRows: 'rows in that partition',
  bSmallEvents: 'smaller run, events',
  bLargeEvents: 'larger run, events',
  bSmallEventsPerSecond: 'smaller run, events/s',
  bLargeEventsPerSecond: 'larger run, events/s',
  timePerEventRatio: 'time per event, larger ÷ smaller',
  logPhaseTimePerEventRatio: 'same, log phase only (without check, start, roster)',
  workerPeakRssMbSmall: 'worker peak RSS, smaller run, MB',
  workerPeakRssMbLarge: 'worker peak RSS, larger run, MB',
  rssDifference: 'peak RSS difference, share',
  budgetUse: 'log pages/min ÷ Duo\'s limit',
  share429: '429 answers ÷ log calls',
  cLogPages: 'log pages fetched',
  cLogPhaseSeconds: 'seconds of log paging',
  cEvents: 'events',
  baselineHoursForC: 'DuoLogSync-style hours for this data (1 page/120 s)',
  oursHoursAt1PerMinuteForC: 'ours at Duo 1 req/min, hours',
  budgetUseOverconfigured: 'ceiling 2× Duo\'s limit: pages/min ÷ limit',
  share429Overconfigured: 'ceiling 2× Duo\'s limit: 429 share',
  dTenants: 'tenants connected at once',
  dCompletedShare: 'share completed',
  slowestToMedian: 'slowest ÷ median completion time',
  dMedianSeconds: 'median completion, s',
  dSlowestSeconds: 'slowest completion, s',
  dWorkerCpuSeconds: 'worker CPU seconds',
  dWorkerCpuCores: 'worker CPU, cores busy on average',
  dWorkerPeakRssMb: 'worker peak RSS, MB',
  lagP50Seconds: 'lag visible in Duo → stored, p50 s',
  lagP95Seconds: 'lag visible in Duo → stored, p95 s',
  lagMaxSeconds: 'lag, max s',
  lagEvents: 'events measured',
  lagMissing: 'events not stored by the end',
  freshnessIntervalSeconds: 'interval between incremental runs, s',
  usageP50Ms: 'usage API, worst endpoint p50 ms',
  usageP95Ms: 'usage API, worst endpoint p95 ms',
  usageP99Ms: 'usage API, worst endpoint p99 ms',
  usageEvents: 'usage tenant events',
  usageUsers: 'usage tenant users',
  simulatorPeakRssMb: 'simulator peak RSS while serving every event, MB',
  simulatorStartRssMb: 'simulator RSS once ready, MB',
  simulatorServedEvents: 'authentication events the simulator served',
  simulatorServeSeconds: 'seconds to page through them (limit 1000)',
  gTenants: 'tenants connected at once (K), each its own account',
  gWorkers: 'worker processes',
  gCompletedShare: 'share completed',
  gInexactTenants: 'tenants whose backfill differs from the simulator\'s truth',
  onboardingEfficiency: 'busiest account\'s own budget time ÷ first connect → last initial sync complete',
  gOnboardingSeconds: 'first connect → last initial sync complete, s',
  gBusiestAccountBudgetSeconds: 'busiest account: its log requests ÷ its limit, s',
  aggregateBudgetUse: 'log requests/min ÷ Σ accounts\' limits, while busy',
  gShare429: '429 answers ÷ log calls',
  gPeakMinuteToLimit: 'most log requests of one account in any 60 s ÷ its limit',
  firstDataP95Seconds: 'connect → users queryable, p95 s',
  gWorkerPeakRssMb: 'worker peak RSS (largest worker), MB',
  gWorkerCpuSeconds: 'worker CPU seconds (all workers)',
  gPagesPerWorkerCpuSecond: 'log pages served per worker CPU second',
  gTemporalCpuSeconds: 'Temporal dev server CPU seconds',
  gMaxPostgresConnections: 'Postgres connections, max seen',
  gConfiguredPoolConnections: 'configured pools (workers × DATABASE_POOL_SIZE + API)',
  statusP95Ms: 'status route p95 ms at 50 req/s during G',
  initialSyncActionsPerTenant: 'Temporal actions of one initial sync',
  temporalActionsPerTenantDay: 'Temporal actions per tenant-day, recurring sync at 5 min',
};

export function formatTable(results: BenchResults): string {
  const lines = ['| | figure | key | value | target |', '|---|---|---|---:|---|'];
  for (const scenario of ALL) {
    for (const key of figureKeys[scenario]) {
      const value = results.figures[key];
      const target = results.targets.find((t) => t.figure === key);
      const shown = value === undefined ? `not measured` : String(value);
      const goal = target ? `${target.text} ${target.met ? '✔ met' : '✘ missed'}` : '';
      if (value === undefined && !(key in results.notMeasured)) continue;
      lines.push(`| ${scenario.toUpperCase()} | ${LABELS[key] ?? key} | \`${key}\` | ${shown} | ${goal} |`);
    }
  }
  const reasons = [...new Set(Object.values(results.notMeasured))];
  return [...lines, ...(reasons.length ? ['', 'Not measured:', ...reasons.map((r) => `- ${r}`)] : [])].join('\n');
}

// --- command line ------------------------------------------------------------------------------------

const HELP = `npm run bench -- [options]
  --preset small|full        sizes (default small; small runs in under 5 minutes on 2 cores)
  --only a,b,c,d,e,f,g,h,i   scenarios to run (default all)
  --a-events N --a-users N --a-days N      scenario A (and B's user/day shape)
  --no-components            skip A's simulator-alone and storeAuthEvents-alone measurements
  --b-events N,M             scenario B's two sizes (a size equal to --a-events reuses A's run)
  --c-per-minute N --c-events N --c-days N   scenario C: Duo's log limit and the data
  --c-overconfigured F       also run with our ceiling F× Duo's limit (0 = skip)
  --d-tenants K --d-events N --d-days N      scenario D
  --e-tenants K --e-observe S --e-trigger S --e-live N   scenario E (trigger 0 = 1-minute schedules)
  --e-overlap / --no-e-overlap               run E beside the other scenarios
  --f-events N --f-users N --f-runs N        scenario F sizes and runs per endpoint
  --i-events N               scenario I: events the simulator serves (its peak memory)
  --h-events N --h-users N                   scenario H (purge) sizes
  --g-tenants K --g-per-minute R --g-page-size P --g-days N   scenario G (each account R log requests/min, P rows/page)
  --workers N                G: worker processes sharing the onboarding (default 1)
  --kill-worker-after S      G with 2+ workers: SIGKILL one worker S seconds after the connects
  --g-timeout-minutes M      G: tenants not onboarded by then count as not completed (small 30, full 120)
  --usage-database-url URL   measure F on an already loaded usage database instead of loading one
  --profile                  CPU-profile the worker during A and EXPLAIN ANALYZE the page insert
  --worker build|tsx         worker children run the compiled build (default, as npm run start:worker)
                             or the sources through tsx (as npm run worker)
  --worker-node-options=F    node flags for the worker children instead of the production heap limit
                             (e.g. --worker-node-options=--max-old-space-size=128)
  --env K=V,…                settings of the service (worker children and the workflow starter)
                             over each scenario's, e.g. --env WORKER_MAX_CACHED_WORKFLOWS=1000
  --temporal-address H:P     use a running Temporal instead of starting a dev server
  --no-write                 do not write bench/results/<date>.json (<date>-small.json for the small preset)
  --merge                    fold the scenarios run into today's file (re-running some scenarios)
  --json PATH                also write the results to PATH
  --print FILE               only print the table of a results file (bench/results/<date>.json)`;

function parseServiceEnv(text: string | undefined): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair.trim());
    if (!match) throw new Error(`--env: "${pair}" is not KEY=VALUE`);
    settings[match[1] as string] = match[2] as string;
  }
  return settings;
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    allowNegative: true,
    options: {
      help: { type: 'boolean' },
      preset: { type: 'string', default: 'small' },
      only: { type: 'string' },
      'a-events': { type: 'string' },
      'a-users': { type: 'string' },
      'a-days': { type: 'string' },
      components: { type: 'boolean' },
      'b-events': { type: 'string' },
      'c-per-minute': { type: 'string' },
      'c-events': { type: 'string' },
      'c-days': { type: 'string' },
      'c-overconfigured': { type: 'string' },
      'd-tenants': { type: 'string' },
      'd-events': { type: 'string' },
      'd-days': { type: 'string' },
      'e-tenants': { type: 'string' },
      'e-observe': { type: 'string' },
      'e-trigger': { type: 'string' },
      'e-live': { type: 'string' },
      'e-overlap': { type: 'boolean' },
      'f-events': { type: 'string' },
      'f-users': { type: 'string' },
      'f-runs': { type: 'string' },
      'i-events': { type: 'string' },
      'h-events': { type: 'string' },
      'h-users': { type: 'string' },
      'usage-database-url': { type: 'string' },
      'g-tenants': { type: 'string' },
      'g-per-minute': { type: 'string' },
      'g-page-size': { type: 'string' },
      'g-days': { type: 'string' },
      workers: { type: 'string' },
      'g-timeout-minutes': { type: 'string' },
      'kill-worker-after': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'temporal-address': { type: 'string' },
      worker: { type: 'string', default: 'build' },
      'worker-node-options': { type: 'string' },
      env: { type: 'string' },
      write: { type: 'boolean', default: true },
      merge: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  if (values.help) return 'help';
  if (values.worker !== 'build' && values.worker !== 'tsx') throw new Error('--worker must be build or tsx');
  if (values.preset !== 'small' && values.preset !== 'full') throw new Error('--preset must be small or full');
  const base = presets[values.preset];
  const num = (name: string, raw: string | undefined, fallback: number, min = 0): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return n;
  };
  const only = (values.only ?? ALL.join(',')).split(',').map((s) => s.trim().toLowerCase());
  for (const s of only) if (!ALL.includes(s as Scenario)) throw new Error(`--only: unknown scenario ${s}`);
  const bEvents = values['b-events']?.split(',').map((s) => num('b-events', s, 0, 1)) ?? base.b.events;
  if (bEvents.length !== 2) throw new Error('--b-events takes two sizes, e.g. 500000,5000000');
  return {
    ...base,
    only: only as Scenario[],
    a: {
      events: num('a-events', values['a-events'], base.a.events, 1),
      users: num('a-users', values['a-users'], base.a.users, 1),
      groups: base.a.groups,
      days: Math.min(179, num('a-days', values['a-days'], base.a.days, 1)),
      components: values.components ?? base.a.components,
    },
    b: { events: [Math.min(...bEvents), Math.max(...bEvents)] },
    c: {
      perMinute: num('c-per-minute', values['c-per-minute'], base.c.perMinute, 1),
      events: num('c-events', values['c-events'], base.c.events, 1),
      days: Math.min(179, num('c-days', values['c-days'], base.c.days, 1)),
      overconfigured: num('c-overconfigured', values['c-overconfigured'], base.c.overconfigured, 0),
    },
    d: { ...base.d, tenants: num('d-tenants', values['d-tenants'], base.d.tenants, 1), events: num('d-events', values['d-events'], base.d.events, 1), days: num('d-days', values['d-days'], base.d.days, 1) },
    e: {
      tenants: num('e-tenants', values['e-tenants'], base.e.tenants, 1),
      livePerMinute: num('e-live', values['e-live'], base.e.livePerMinute, 1),
      observeSeconds: num('e-observe', values['e-observe'], base.e.observeSeconds, 30),
      triggerSeconds: num('e-trigger', values['e-trigger'], base.e.triggerSeconds, 0),
      overlap: values['e-overlap'] ?? base.e.overlap,
    },
    f: {
      ...base.f,
      events: num('f-events', values['f-events'], base.f.events, 1),
      users: num('f-users', values['f-users'], base.f.users, 1),
      runs: num('f-runs', values['f-runs'], base.f.runs, 1),
      databaseUrl: values['usage-database-url'],
    },
    i: { ...base.i, events: num('i-events', values['i-events'], base.i.events, 1) },
    h: { events: num('h-events', values['h-events'], base.h.events, 1), users: num('h-users', values['h-users'], base.h.users, 1) },
    g: {
      ...base.g,
      tenants: num('g-tenants', values['g-tenants'], base.g.tenants, 1),
      perMinute: num('g-per-minute', values['g-per-minute'], base.g.perMinute, 0.1),
      pageSize: num('g-page-size', values['g-page-size'], base.g.pageSize, 1),
      days: Math.min(179, num('g-days', values['g-days'], base.g.days, 1)),
      workers: num('workers', values.workers, base.g.workers, 1),
      killOneAfterSeconds: num('kill-worker-after', values['kill-worker-after'], base.g.killOneAfterSeconds, 0),
      timeoutMinutes: num('g-timeout-minutes', values['g-timeout-minutes'], base.g.timeoutMinutes, 1),
    },
    profile: values.profile ?? false,
    write: values.write ?? true,
    merge: values.merge ?? false,
    jsonPath: values.json,
    temporalAddress: values['temporal-address'],
    worker: values.worker,
    // The production flags unless told otherwise (npm run start:worker runs the worker with them).
    workerNodeArgs: values['worker-node-options']?.split(' ').filter(Boolean) ?? [workerHeapFlag],
    serviceEnv: parseServiceEnv(values.env),
  };
}

async function main(): Promise<void> {
  // --print FILE: the table of an earlier run (docs/BENCHMARKS.md is made from it), nothing is run.
  const printIndex = process.argv.indexOf('--print');
  if (printIndex >= 0) {
    const file = process.argv[printIndex + 1];
    if (!file) throw new Error('--print needs a results file, e.g. bench/results/2026-11-28.json');
    process.stdout.write(`${formatTable(JSON.parse(await readFile(file, 'utf8')) as BenchResults)}\n`);
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  // Ctrl-C: stop the dev server and workers and drop the bench databases before leaving.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void closeOpenStacks().finally(() => process.exit(130));
    });
  }
  // A driver error thrown outside any promise (postgres-js does this when Postgres restarts under a
  // running query) must fail that scenario, not kill the run and leave its databases behind.
  process.on('uncaughtException', (error) => log(`uncaught: ${error.stack ?? error.message}`));

  let results = await runBench(options);
  const dir = join(repoRoot, 'bench/results');
  const name = `${results.startedAt.slice(0, 10)}${options.preset === 'small' ? '-small' : ''}.json`;
  if (options.merge && existsSync(join(dir, name))) {
    results = mergeResults(JSON.parse(await readFile(join(dir, name), 'utf8')) as BenchResults, results);
  }
  const table = formatTable(results);
  process.stdout.write(
    `\nduo-usage-sync benchmark, preset ${results.preset}, ${results.startedAt} → ${results.finishedAt}\n` +
      `machine: ${Object.entries(results.machine).map(([k, v]) => `${k} ${v}`).join(', ')}\n\n${table}\n`,
  );
  const json = `${JSON.stringify(results, null, 2)}\n`;
  if (options.write) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, name), json);
    process.stdout.write(`\nwritten: bench/results/${name}${options.merge ? ' (merged)' : ''}\n`);
  }
  if (options.jsonPath) await writeFile(options.jsonPath, json);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
