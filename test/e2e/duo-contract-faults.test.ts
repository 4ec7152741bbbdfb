import type { FaultSpec } from '../../simulator/server.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { type SimulatorStats } from '../../simulator/control-client.js';
import { compareWithTruth, finishedIncrementalRuns, noDifferences, rollupMismatches, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

/**
 * Duo answers that break the contract, injected by the simulator at a rate of 1 (every request) for a
 * while and then switched off: malformed bodies (invalid JSON, HTML "Request blocked" pages),
 * truncated bodies, a next_offset that does not advance, and schema drift (new fields, nulls).
 * The sync must retry with backoff (not spin), skip nothing, and end exact once Duo behaves.
 */

// The simulator sticks a cursor only on a page that sent one and has a page after it: 700 users (three
// pages of 300) and ~3000 events a day (three or more pages of 1000 per day window).
const dataset = (seed: number) => ({ seed, users: 700, groups: 4, authEvents: 9000, days: 3 });

interface FaultCase {
  name: string;
  faults: FaultSpec;
  /** The stats.faults counter that shows the fault was really injected. */
  counter: keyof SimulatorStats['faults'] & string;
  /** Failure types a retried attempt may carry. */
  failureTypes: string[];
}

const recoverable: FaultCase[] = [
  { name: 'malformed', faults: { malformedRate: 1 }, counter: 'malformed', failureTypes: ['DUO_MALFORMED_RESPONSE'] },
  { name: 'truncated', faults: { truncatedRate: 1 }, counter: 'truncated', failureTypes: ['DUO_MALFORMED_RESPONSE', 'DUO_NETWORK_ERROR'] },
  { name: 'stuck', faults: { stuckCursorRate: 1 }, counter: 'stuckCursor', failureTypes: ['DUO_MALFORMED_RESPONSE'] },
];

const cases = recoverable.map((c, i) => ({ ...c, tenantId: `contract-${c.name}`, account: makeAccount({ dataset: dataset(300 + i) }) }));
// Schema drift is not an error: it stays on for the whole initial sync.
const drift = { tenantId: 'contract-drift', account: makeAccount({ dataset: dataset(399) }) };

interface PhaseRecord {
  /** Failure type and message of every failed attempt seen on a pending activity. */
  failures: Array<{ type: string; message: string }>;
  maxAttempt: number;
  requests: number;
  faultsInjected: number;
  seconds: number;
}

const phases = new Map<string, PhaseRecord>();
let harness: SyncHarness;

const anchorOf = async (tenantId: string) => {
  const [row] = await harness.api.database.sql<{ anchor: number }[]>`
    select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
  return Number(row?.anchor);
};

/** Attempts and last failures of the initial sync's pending activities right now. */
async function pendingAttempts(tenantId: string): Promise<Array<{ attempt: number; type: string; message: string }>> {
  const description = await harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe();
  return (description.raw.pendingActivities ?? []).map((activity) => ({
    attempt: activity.attempt ?? 0,
    type: activity.lastFailure?.applicationFailureInfo?.type ?? '',
    message: activity.lastFailure?.message ?? '',
  }));
}

const totalRequests = (stats: SimulatorStats) => stats.requests.total;

beforeAll(async () => {
  harness = await startSyncHarness({ accounts: [...cases.map((c) => c.account), drift.account], env: { BACKFILL_DAYS: '3' } });
  await harness.simulator.control.setFaults(drift.account.integrationKey, { schemaDriftRate: 1 });
  expect((await harness.connect(drift.tenantId, drift.account)).statusCode).toBe(202);

  await Promise.all(
    cases.map(async (c) => {
      const ikey = c.account.integrationKey;
      // Connect first (its key check must pass), then break every answer.
      expect((await harness.connect(c.tenantId, c.account)).statusCode).toBe(202);
      await harness.simulator.control.setFaults(ikey, c.faults);
      const startedAt = Date.now();
      const before = totalRequests(await harness.simulator.control.stats(ikey));
      const record: PhaseRecord = { failures: [], maxAttempt: 0, requests: 0, faultsInjected: 0, seconds: 0 };
      // Until some activity is on its fourth attempt: three failed in a row on the fault (backoffs 5 s, 10 s, 20 s).
      await waitFor(
        `three failed attempts of ${c.tenantId}`,
        async () => {
          for (const pending of await pendingAttempts(c.tenantId)) {
            if (pending.type) record.failures.push({ type: pending.type, message: pending.message });
            record.maxAttempt = Math.max(record.maxAttempt, pending.attempt);
          }
          return record.maxAttempt >= 4;
        },
        120_000,
        500,
      );
      const stats = await harness.simulator.control.stats(ikey);
      record.requests = totalRequests(stats) - before;
      record.faultsInjected = stats.faults[c.counter] ?? 0;
      record.seconds = (Date.now() - startedAt) / 1000;
      phases.set(c.name, record);
      await harness.simulator.control.setFaults(ikey, {});
    }),
  );
  await Promise.all([...cases.map((c) => harness.waitForInitialSync(c.tenantId)), harness.waitForInitialSync(drift.tenantId)]);
}, 300_000);

afterAll(async () => {
  await harness?.close();
});

describe.each(recoverable.map((c) => c.name))('initial sync through %s Duo answers', (name) => {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name}`);

  it('really met the fault on consecutive attempts', () => {
    expect(phases.get(name)?.faultsInjected).toBeGreaterThanOrEqual(3);
  });

  it('retries the page as a typed, retryable failure that names no body', () => {
    const failures = phases.get(name)?.failures ?? [];
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(c.failureTypes).toContain(failure.type);
      expect(failure.message).not.toMatch(/<html|authlogs|"stat"/i);
      expect(failure.message).not.toContain(c.account.secretKey);
    }
  });

  it('backs off between attempts instead of looping on the broken answer', () => {
    const phase = phases.get(name);
    expect(phase?.maxAttempt).toBeGreaterThanOrEqual(4);
    // Backoff (5 s, 10 s, …) over at most 5 concurrent activities allows about one request a second;
    // a tight loop would make hundreds.
    expect((phase?.requests ?? Infinity) / (phase?.seconds ?? 1)).toBeLessThan(3);
  });

  it('ends with exactly the simulator\'s users, memberships and events once Duo behaves again', async () => {
    expect(await compareWithTruth(harness, c.tenantId, c.account, { maxtime: await anchorOf(c.tenantId) })).toEqual(noDifferences);
    expect(await rollupMismatches(harness, c.tenantId)).toBe(0);
  });

  it('completes the initial sync with status active', async () => {
    expect(await harness.status(c.tenantId)).toMatchObject({ status: 'active', initialSync: { state: 'completed' }, lastError: null });
  });
});

describe('initial sync through answers with schema drift (new fields, documented nulls)', () => {
  it('completes while every answer drifts', async () => {
    const stats = await harness.simulator.control.stats(drift.account.integrationKey);
    expect(stats.faults.schemaDrift ?? 0).toBeGreaterThan(0);
    expect(await harness.status(drift.tenantId)).toMatchObject({ initialSync: { state: 'completed' } });
  });

  it('stores every event exactly once despite the drift', async () => {
    const differences = await compareWithTruth(harness, drift.tenantId, drift.account, { maxtime: await anchorOf(drift.tenantId) });
    expect(differences.authTxids).toEqual(noDifferences.authTxids);
    expect(differences.memberships).toEqual([]);
    expect(await rollupMismatches(harness, drift.tenantId)).toBe(0);
  });

  it('restores the nulled user fields on the next roster refresh once Duo sends them again', async () => {
    await harness.simulator.control.setFaults(drift.account.integrationKey, {});
    const before = await finishedIncrementalRuns(harness, drift.tenantId);
    const response = await harness.api.app.inject({
      method: 'POST',
      url: `/v1/tenants/${drift.tenantId}/integrations/duo/sync`,
      headers: harness.api.auth,
      payload: { roster: true },
    });
    expect(response.statusCode).toBe(202);
    await waitFor('the roster refresh run', async () => (await finishedIncrementalRuns(harness, drift.tenantId)) > before);
    const differences = await compareWithTruth(harness, drift.tenantId, drift.account, { maxtime: await anchorOf(drift.tenantId) });
    expect(differences.users).toEqual([]);
    expect(differences.groups).toEqual([]);
  }, 120_000);
});
