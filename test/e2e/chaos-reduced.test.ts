import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatReport, runChaos, type ChaosPlan, type ChaosReport } from '../../bench/chaos.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

/**
 * The chaos run of bench/chaos.ts (`npm run chaos`) at a size that fits `npm test`: two tenants, an
 * initial sync plus incremental runs with live events, worker child processes SIGKILLed at random
 * moments (three times; a new one started each time, two at once for part of the run), and 10% of
 * Duo calls failing. No Temporal or Postgres restart here: other test files share both servers.
 * Replay a failure with CHAOS_SEED=<seed>.
 */
const seed = Number(process.env.CHAOS_SEED ?? randomInt(100_000));

const plan: ChaosPlan = {
  seed,
  tenants: 2,
  users: 320,
  days: 4,
  eventsPerDay: 2500,
  liveEventsPerMinute: 200,
  // One log page a second per account: the backfill is still going when the kills land.
  logRequestsPerMinute: 60,
  faultRate: 0.1,
  minKills: 3,
  gapMs: [1_000, 4_000],
  // Actions: 0 kill and replace, 1 a second worker joins, 2 kill and replace (two running), 3 kill one of two.
  dualFrom: 1,
  dualUntil: 3,
  incrementalRuns: 3,
};

let database: TestDatabase;
let report: ChaosReport;
const timeline: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  const started = Date.now();
  const log = (line: string) => timeline.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${line}`);
  try {
    report = await runChaos(plan, { databaseUrl: database.url, temporalAddress: inject('temporalAddress'), log });
  } finally {
    // What happened when: the figures of docs/RELIABILITY.md, and the first thing to read on a failure.
    process.stdout.write(`${timeline.join('\n')}\n${report ? formatReport(report) : ''}\n`);
  }
}, 600_000);

afterAll(async () => {
  await database?.drop();
});

describe(`reduced chaos run (seed ${seed}; replay with CHAOS_SEED=${seed})`, () => {
  it('killed a worker with SIGKILL at least three times and ran two workers at once for a while', () => {
    expect(report.kills).toBeGreaterThanOrEqual(3);
    expect(report.maxWorkersAtOnce).toBe(2);
    expect(report.workerStarts).toBeGreaterThanOrEqual(report.kills + 1);
  });

  it('met Duo faults and retried through them', () => {
    expect(report.faultsInjected).toBeGreaterThan(0);
    expect(report.retriesSeen).toBeGreaterThan(0);
  });

  it('ends with exactly the simulator\'s users, memberships and event ids for every tenant', () => {
    expect(report.tenants).toHaveLength(2);
    for (const tenant of report.tenants) expect({ tenant: tenant.tenantId, differences: tenant.differences }).toEqual({ tenant: tenant.tenantId, differences: 0 });
  });

  it('keeps rollups equal to raw SQL over the events', () => {
    for (const tenant of report.tenants) expect(tenant.rollupMismatches).toBe(0);
  });

  it('leaves no workflow failed or stuck, and every initial sync completed', () => {
    expect(report.failedWorkflows).toBe(0);
    expect(report.stuckWorkflows).toBe(0);
    for (const tenant of report.tenants) expect(tenant.initialSync).toBe('completed');
  });
});
