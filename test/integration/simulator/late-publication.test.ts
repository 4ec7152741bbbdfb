import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeAccount } from '../../../simulator/account-builder.js';
import { duoGetJson, manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/*
 * Authentication events Duo publishes late: a re-read of a window that was complete returns more
 * events once they are out, and the truth says what is visible now and what comes later.
 */

const MINUTE = 60_000;
const START = Date.UTC(2026, 6, 20, 9, 0, 0);
const clock = manualClock(START);
const faults = { seed: 3, latePublicationRate: 0.25, latePublicationMinMinutes: 10, latePublicationMaxMinutes: 90 };
// History ends an hour before the start and live events keep coming, so the last 90 minutes are busy.
const account = makeAccount({
  dataset: { seed: 77, users: 30, groups: 3, authEvents: 1500, days: 2, liveEventsPerMinute: 20, anchorMs: START - 60 * MINUTE },
  faults,
});
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([account], { now: clock.now });
});

beforeEach(async () => {
  clock.set(START);
  await simulator.control.reset();
});

afterAll(async () => {
  await simulator.close();
});

const authPage = z.object({
  response: z.object({
    authlogs: z.array(z.object({ txid: z.string() })),
    metadata: z.object({ next_offset: z.tuple([z.string(), z.string()]).nullable(), total_objects: z.number() }),
  }),
});

/** The sorted txids of one window, read through the Admin API with next_offset. */
async function readWindow(mintime: number, maxtime: number): Promise<{ txids: string[]; totalObjects: number }> {
  const txids: string[] = [];
  let cursor: string | null = null;
  let totalObjects = 0;
  do {
    const params: Record<string, string> = { mintime: String(mintime), maxtime: String(maxtime), limit: '1000', sort: 'ts:asc' };
    if (cursor !== null) params.next_offset = cursor;
    const response = await duoGetJson(simulator.origin, account, '/admin/v2/logs/authentication', params, { clock: clock.now });
    const page = authPage.parse(response.body);
    if (cursor === null) totalObjects = page.response.metadata.total_objects;
    txids.push(...page.response.authlogs.map((e) => e.txid));
    const next = page.response.metadata.next_offset;
    cursor = next === null ? null : next.join(',');
  } while (cursor !== null);
  return { txids: txids.sort(), totalObjects };
}

const window = { mintime: START - 3 * 3_600_000, maxtime: START - 2 * MINUTE };

describe('late publication', () => {
  it('hides late events from the API until they are published, and counts only what is visible', async () => {
    const read = await readWindow(window.mintime, window.maxtime);
    const truth = await simulator.control.truth(account.integrationKey, window);
    const pending = await simulator.control.authTxids(account.integrationKey, { ...window, publication: 'pending' });
    expect(truth.lateAuthEvents.count).toBeGreaterThan(0);
    expect(pending).toHaveLength(truth.lateAuthEvents.count);
    expect(read.txids).toEqual(await simulator.control.authTxids(account.integrationKey, window));
    expect(read.totalObjects).toBe(truth.authEvents.count);
    expect(read.txids.filter((txid) => pending.includes(txid))).toEqual([]);
  });

  it('shows every late event in a re-read of the same window once its publication time has passed', async () => {
    const before = await readWindow(window.mintime, window.maxtime);
    const truth = await simulator.control.truth(account.integrationKey, window);
    const eventual = await simulator.control.authTxids(account.integrationKey, { ...window, publication: 'eventual' });
    expect(truth.lateAuthEvents.lastPublishedMs).not.toBeNull();
    clock.set(truth.lateAuthEvents.lastPublishedMs ?? START);
    const after = await readWindow(window.mintime, window.maxtime);
    expect(after.txids).toEqual(eventual);
    expect(after.txids.length - before.txids.length).toBe(truth.lateAuthEvents.count);
    expect((await simulator.control.truth(account.integrationKey, window)).lateAuthEvents.count).toBe(0);
  });

  it('reports through the truth, for any instant, what is visible then and what comes later', async () => {
    const at = START + 20 * MINUTE;
    const now = await simulator.control.truth(account.integrationKey, { ...window, at });
    const visible = await simulator.control.authTxids(account.integrationKey, { ...window, at });
    const pending = await simulator.control.authTxids(account.integrationKey, { ...window, at, publication: 'pending' });
    const eventual = await simulator.control.authTxids(account.integrationKey, { ...window, at, publication: 'eventual' });
    expect(visible).toHaveLength(now.authEvents.count);
    expect([...visible, ...pending].sort()).toEqual(eventual);
    expect(now.lateAuthEvents.lastPublishedMs ?? 0).toBeGreaterThan(at);
  });

  it('is switched off by replacing the faults, which publishes everything on time', async () => {
    await simulator.control.setFaults(account.integrationKey, {});
    const read = await readWindow(window.mintime, window.maxtime);
    expect(read.txids).toEqual(await simulator.control.authTxids(account.integrationKey, { ...window, publication: 'eventual' }));
    expect((await simulator.control.truth(account.integrationKey, window)).lateAuthEvents.count).toBe(0);
  });

  it('refuses an unknown publication in the id list', async () => {
    const response = await fetch(`${simulator.origin}/__sim/accounts/${account.integrationKey}/truth/auth-txids?publication=later`);
    expect(response.status).toBe(400);
  });
});
