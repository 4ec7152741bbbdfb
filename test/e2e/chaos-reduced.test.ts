import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, runChaos, type ChaosPlan, type ChaosReport } from '../../bench/chaos.js';
import { freePort, startTemporalDevServer, type DevServer } from '../../local/temporal-dev-server.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

/**
 * The chaos run of bench/chaos.ts (`npm run chaos`) at a size that fits `npm test`: two tenants, an
 * initial sync plus incremental runs with live events, worker child processes SIGKILLed at random
 * moments (three times, all during the backfill; a new one started each time, two at once for part of
 * the run), a restart of the Temporal dev server mid-backfill, and 10% of Duo calls failing. The
 * Temporal dev server is this file's own (persisted with --db-filename), so restarting it disturbs no
 * other test file. Postgres is not restarted here: every test file shares it; `npm run chaos` does that
 * on a cluster of its own. Replay a failure with CHAOS_SEED=<seed> (printed first, and in the suite name).
 */
const seed = Number(process.env.CHAOS_SEED ?? randomInt(100_000));

const plan: ChaosPlan = {
  seed,
  tenants: 2,
  users: 320,
  days: 4,
  eventsPerDay: 6000,
  liveEventsPerMinute: 200,
  // One log page a second per account: the backfill is still going when the kills land.
  logRequestsPerMinute: 60,
  faultRate: 0.1,
  minKills: 3,
  gapMs: [500, 2_000],
  // Actions: 0 kill and replace, 1 a second worker joins, 2 Temporal restart (two workers running),
  // 3 kill one of two, 4 kill and replace. A kill costs its activities the 1-minute heartbeat timeout,
  // so the kills come early and the run ends about a minute after the last one.
  dualFrom: 1,
  restartTemporalAt: 2,
  dualUntil: 3,
  incrementalRuns: 2,
};

let database: TestDatabase;
let devServer: DevServer | undefined;
let report: ChaosReport;
const stateDir = mkdtempSync(join(tmpdir(), 'duo-chaos-reduced-'));
const timeline: string[] = [];

beforeAll(async () => {
  process.stdout.write(`reduced chaos run: seed ${seed} (replay with CHAOS_SEED=${seed})\n`);
  database = await createTestDatabase();
  const dbFilename = join(stateDir, 'temporal.db');
  const port = await freePort();
  devServer = await startTemporalDevServer({ dbFilename, port });
  const started = Date.now();
  const log = (line: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${line}`);
  try {
    report = await runChaos(plan, {
      databaseUrl: database.url,
      temporalAddress: devServer.address,
      log,
      restartTemporal: async () => {
        await devServer?.stop();
        devServer = await startTemporalDevServer({ dbFilename, port });
      },
    });
  } finally {
    // What happened when: the figures of docs/RELIABILITY.md, and the first thing to read on a failure.
    process.stdout.write(`seed ${seed}\n${timeline.join('\n')}\n${report ? formatReport(report) : ''}\n`);
  }
}, 600_000);

afterAll(async () => {
  await devServer?.stop();
  await database?.drop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe(`reduced chaos run (seed ${seed}; replay with CHAOS_SEED=${seed})`, () => {
  it('killed a worker with SIGKILL at least three times and ran two workers at once for a while', () => {
    expect(report.kills).toBeGreaterThanOrEqual(3);
    expect(report.maxWorkersAtOnce).toBe(2);
    expect(report.workerStarts).toBeGreaterThanOrEqual(report.kills + 1);
  });

  it('landed at least three of the kills while an initial sync was still backfilling', () => {
    expect(report.killsDuringBackfill, `seed ${seed}`).toBeGreaterThanOrEqual(3);
  });

  it('restarted the Temporal dev server once, while an initial sync was still backfilling', () => {
    const restarts = report.actions.filter((action) => action.kind === 'restart-temporal');
    expect(report.temporalRestarts).toBe(1);
    expect(restarts.map((action) => (action.backfilling ?? []).length > 0), `seed ${seed}`).toEqual([true]);
  });

  it('met Duo faults and retried through them', () => {
    expect(report.faultsInjected).toBeGreaterThan(0);
    expect(report.retriesSeen).toBeGreaterThan(0);
  });

  it("ends with exactly the simulator's users, memberships and event ids for every tenant", () => {
    expect(report.tenants).toHaveLength(2);
    for (const tenant of report.tenants) expect(tenant.differences, `${tenant.tenantId}: ${tenant.samples.join('; ')}`).toBe(0);
  });

  it('keeps every rollup and the users\' latest times equal to raw SQL over the events', () => {
    for (const tenant of report.tenants) expect(tenant.rollupMismatches, `${tenant.tenantId}: ${tenant.samples.join('; ')}`).toBe(0);
  });

  it('leaves no workflow failed or stuck, and every initial sync completed', () => {
    expect(report.failedWorkflows).toBe(0);
    expect(report.stuckWorkflows).toBe(0);
    for (const tenant of report.tenants) expect(tenant.initialSync).toBe('completed');
  });
});
