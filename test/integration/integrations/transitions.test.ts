import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queryable } from '../../../db/client.js';
import { findIntegration, type IntegrationRow } from '../../../db/integrations.js';
import { AppError } from '../../../errors/app-error.js';
import { IntegrationNotConnectedError, IntegrationTransitionRefusedError, TenantNotFoundError, TenantPurgingError } from '../../../errors/integration-errors.js';
import { transition, transitionRules, type LifecycleState, type TransitionName } from '../../../integrations/transitions.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

let tenants = 0;
const nothingElse = async () => {};
const keys = { apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c', encryptionKeyId: 'k' };
const failure = { code: 'DUO_CREDENTIALS_REJECTED', message: 'Duo rejected the credentials' };
const connectInput = (tenantId: string, anchorAt = new Date(Date.now() - 600_000)) => ({
  tenantId,
  ...keys,
  anchorAt,
  backfillStartAt: new Date(anchorAt.getTime() - 86_400_000),
  initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
});

/**
 * A new tenant in `state`, reached through the transitions themselves. With `failedInitialSync` its
 * initial sync failed first (where the state allows it: an `active` tenant has completed it).
 */
async function tenantIn(state: LifecycleState, options: { failedInitialSync?: boolean } = {}): Promise<string> {
  const tenantId = `t${++tenants}-${state}`;
  const db = database.db;
  if (state === 'absent') return tenantId;
  await transition.connect(db, connectInput(tenantId));
  if (options.failedInitialSync && state !== 'active') {
    await transition.failInitialSync(db, tenantId, failure);
    if (state === 'syncing') await transition.recover(db, tenantId);
  }
  if (state === 'active') await transition.completeInitialSync(db, tenantId);
  if (state === 'paused') await transition.pause(db, tenantId, 'Paused by ops: audit');
  if (state === 'needs_attention') await transition.needAttention(db, tenantId, failure);
  if (state === 'disconnected' || state === 'purged') await transition.disconnect(db, tenantId);
  if (state === 'purging' || state === 'purged') await transition.beginPurge(db, tenantId, nothingElse);
  if (state === 'purged') await transition.finishPurge(db, tenantId, nothingElse);
  return tenantId;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const row = async (tenantId: string): Promise<IntegrationRow | undefined> => findIntegration(database.db, tenantId);

/** Each transition with typical arguments. */
const apply: Record<TransitionName, (db: Queryable, tenantId: string) => Promise<unknown>> = {
  connect: (db, tenantId) => transition.connect(db, connectInput(tenantId)),
  reconnect: (db, tenantId) => transition.reconnect(db, tenantId, { ...keys, secretKeySealed: 'v1.k.new.keys.sealed' }),
  recover: (db, tenantId) => transition.recover(db, tenantId),
  restartInitialSync: (db, tenantId) => transition.restartInitialSync(db, tenantId),
  recordPhase: (db, tenantId) => transition.recordPhase(db, tenantId, 'auth_logs'),
  completeInitialSync: (db, tenantId) => transition.completeInitialSync(db, tenantId),
  failInitialSync: (db, tenantId) => transition.failInitialSync(db, tenantId, failure),
  recordStartFailure: (db, tenantId) => transition.recordStartFailure(db, tenantId, { code: 'TEMPORAL_UNAVAILABLE', message: 'not started' }),
  pause: (db, tenantId) => transition.pause(db, tenantId, 'Paused by ops: audit'),
  resume: (db, tenantId) => transition.resume(db, tenantId),
  needAttention: (db, tenantId) => transition.needAttention(db, tenantId, failure),
  pauseForAttention: (db, tenantId) => transition.pauseForAttention(db, tenantId, failure),
  disconnect: (db, tenantId) => transition.disconnect(db, tenantId),
  beginPurge: (db, tenantId) => transition.beginPurge(db, tenantId, nothingElse),
  finishPurge: (db, tenantId) => transition.finishPurge(db, tenantId, nothingElse),
};

// applies | late (changes nothing, no error) | tenant not found | not connected | purge under way | refused
type Outcome = 'A' | 'L' | 'N' | 'D' | 'P' | 'R';
const states: LifecycleState[] = ['absent', 'syncing', 'active', 'paused', 'needs_attention', 'disconnected', 'purging', 'purged'];

/** The state machine, written out by hand: one column per state above. */
const expected: Record<TransitionName, Outcome[]> = {
  //                   absent syncing active paused attention disconn. purging purged
  connect:             ['A', 'R', 'R', 'R', 'R', 'R', 'P', 'A'],
  reconnect:           ['N', 'R', 'R', 'R', 'R', 'A', 'P', 'R'],
  recover:             ['N', 'R', 'R', 'R', 'A', 'D', 'P', 'D'],
  // With a failed initial sync wherever the state allows one (an active tenant completed it).
  restartInitialSync:  ['N', 'A', 'R', 'A', 'A', 'D', 'P', 'D'],
  recordPhase:         ['N', 'A', 'A', 'A', 'A', 'A', 'A', 'A'],
  completeInitialSync: ['N', 'A', 'A', 'A', 'A', 'A', 'A', 'A'],
  failInitialSync:     ['N', 'A', 'A', 'A', 'A', 'L', 'L', 'L'],
  recordStartFailure:  ['N', 'A', 'A', 'A', 'A', 'L', 'L', 'L'],
  pause:               ['N', 'A', 'A', 'A', 'A', 'D', 'P', 'D'],
  resume:              ['N', 'A', 'A', 'A', 'A', 'D', 'P', 'D'],
  needAttention:       ['N', 'A', 'A', 'A', 'A', 'L', 'L', 'L'],
  pauseForAttention:   ['N', 'L', 'L', 'L', 'A', 'L', 'L', 'L'],
  disconnect:          ['N', 'A', 'A', 'A', 'A', 'A', 'L', 'A'],
  beginPurge:          ['N', 'A', 'A', 'A', 'A', 'A', 'L', 'L'],
  finishPurge:         ['N', 'R', 'R', 'R', 'R', 'R', 'A', 'L'],
};

const refusals = { N: TenantNotFoundError, D: IntegrationNotConnectedError, P: TenantPurgingError, R: IntegrationTransitionRefusedError } as const;

const cases = (Object.keys(expected) as TransitionName[]).flatMap((name) =>
  states.map((state, column) => ({ name, state, outcome: expected[name][column] })),
);

describe('transitions: allowed and refused moves', () => {
  it('covers every transition the module declares, in every state', () => {
    expect(Object.keys(expected).sort()).toEqual(Object.keys(transitionRules).sort());
    expect(cases.filter((c) => c.outcome === undefined)).toEqual([]);
  });

  it.each(cases.filter((c) => c.outcome === 'A'))('$name applies to a tenant that is $state', async ({ name, state }) => {
    const tenantId = await tenantIn(state, { failedInitialSync: name === 'restartInitialSync' });
    const before = await row(tenantId);
    await sleep(5); // so the write's updatedAt differs from the last one's
    await expect(apply[name](database.db, tenantId)).resolves.not.toBe(false);
    const after = await row(tenantId);
    expect(after?.updatedAt.getTime()).toBeGreaterThan(before?.updatedAt.getTime() ?? 0);
  });

  it.each(cases.filter((c) => c.outcome === 'L'))('$name arriving late for a tenant that is $state changes nothing', async ({ name, state }) => {
    const tenantId = await tenantIn(state);
    const before = await row(tenantId);
    await expect(apply[name](database.db, tenantId)).resolves.toBe(false);
    expect(await row(tenantId)).toEqual(before);
  });

  it.each(cases.filter((c) => c.outcome === 'N' || c.outcome === 'D' || c.outcome === 'P' || c.outcome === 'R'))(
    '$name is refused for a tenant that is $state ($outcome), with a typed error, changing nothing',
    async ({ name, state, outcome }) => {
      const tenantId = await tenantIn(state, { failedInitialSync: name === 'restartInitialSync' });
      const before = await row(tenantId);
      const refused = apply[name](database.db, tenantId);
      await expect(refused).rejects.toBeInstanceOf(refusals[outcome as keyof typeof refusals]);
      await expect(refused).rejects.toBeInstanceOf(AppError);
      expect(await row(tenantId)).toEqual(before);
    },
  );

  it('refuses a restart of an initial sync that has not failed, naming the state', async () => {
    const tenantId = await tenantIn('syncing');
    await expect(transition.restartInitialSync(database.db, tenantId)).rejects.toMatchObject({
      code: 'INTEGRATION_TRANSITION_REFUSED',
      details: { tenantId, transition: 'restartInitialSync', state: 'syncing with its initial sync running' },
    });
  });

  it('undoes a transition with the transaction it ran in', async () => {
    const tenantId = await tenantIn('syncing');
    const before = await row(tenantId);
    await expect(
      database.db.transaction(async (tx) => {
        await transition.needAttention(tx, tenantId, failure);
        throw new Error('the run could not be recorded');
      }),
    ).rejects.toThrow('the run could not be recorded');
    expect(await row(tenantId)).toEqual(before);
  });
});

describe('transitions: what each one writes', () => {
  it('connect starts a fresh integration: syncing, initial sync running from the roster, the auth cursor at the anchor', async () => {
    const anchorAt = new Date(Date.now() - 600_000);
    const tenantId = `t${++tenants}-fresh`;
    await transition.connect(database.db, connectInput(tenantId, anchorAt));
    expect(await row(tenantId)).toMatchObject({
      status: 'syncing', initialSyncState: 'running', initialSyncPhase: 'roster', schedulePaused: false, pauseNote: null,
      lastErrorCode: null, consecutiveFailures: 0, disconnectedAt: null, purgedAt: null,
    });
    const [checkpoint] = await database.sql`select synced_through_ms from stream_checkpoints where tenant_id = ${tenantId} and stream = 'auth'`;
    expect(Number(checkpoint?.synced_through_ms)).toBe(anchorAt.getTime());
  });

  it('connect after a purge overwrites the tombstone with a new anchor', async () => {
    const tenantId = await tenantIn('purged');
    const anchorAt = new Date(Date.now() - 60_000);
    await transition.connect(database.db, connectInput(tenantId, anchorAt));
    expect(await row(tenantId)).toMatchObject({ status: 'syncing', anchorAt, purgedAt: null, disconnectedAt: null, secretKeySealed: keys.secretKeySealed });
  });

  it('reconnect after a completed initial sync is active at once, the sync clock untouched', async () => {
    const tenantId = await tenantIn('active');
    await transition.disconnect(database.db, tenantId);
    const before = await row(tenantId);
    await transition.reconnect(database.db, tenantId, { ...keys, secretKeySealed: 'v1.k.new.keys.sealed' });
    expect(await row(tenantId)).toMatchObject({
      status: 'active', initialSyncState: 'completed', initialSyncStartedAt: before?.initialSyncStartedAt,
      secretKeySealed: 'v1.k.new.keys.sealed', schedulePaused: false, pauseNote: null, disconnectedAt: null,
    });
  });

  it('reconnect during an unfinished initial sync syncs again, its clock restarted, its failure cleared', async () => {
    const tenantId = await tenantIn('disconnected', { failedInitialSync: true });
    const before = await row(tenantId);
    await sleep(5);
    await transition.reconnect(database.db, tenantId, keys);
    const after = await row(tenantId);
    expect(after).toMatchObject({ status: 'syncing', initialSyncState: 'running', lastErrorCode: null, consecutiveFailures: 0 });
    expect(after?.initialSyncStartedAt.getTime()).toBeGreaterThan(before?.initialSyncStartedAt.getTime() ?? 0);
  });

  it('recover resumes everything paused for attention and starts the failure streak over', async () => {
    const tenantId = await tenantIn('active');
    await database.sql`update duo_integrations set consecutive_failures = 3 where tenant_id = ${tenantId}`;
    await transition.needAttention(database.db, tenantId, failure);
    await transition.recover(database.db, tenantId);
    expect(await row(tenantId)).toMatchObject({
      status: 'active', schedulePaused: false, pauseNote: null, lastErrorCode: null, lastErrorMessage: null, consecutiveFailures: 0,
    });
  });

  it('restartInitialSync clears the failure and restarts the clock', async () => {
    const tenantId = await tenantIn('syncing', { failedInitialSync: true });
    const before = await row(tenantId);
    await sleep(5);
    await transition.restartInitialSync(database.db, tenantId);
    const after = await row(tenantId);
    expect(after).toMatchObject({ status: 'syncing', initialSyncState: 'running', lastErrorCode: null });
    expect(after?.initialSyncStartedAt.getTime()).toBeGreaterThan(before?.initialSyncStartedAt.getTime() ?? 0);
  });

  it('restartInitialSync keeps a human pause: the recurring sync waits for resume', async () => {
    const tenantId = await tenantIn('paused', { failedInitialSync: true });
    await transition.restartInitialSync(database.db, tenantId);
    expect(await row(tenantId)).toMatchObject({ status: 'paused', schedulePaused: true, initialSyncState: 'running' });
  });

  it('completeInitialSync turns syncing into active and leaves a paused tenant paused', async () => {
    const syncing = await tenantIn('syncing');
    const paused = await tenantIn('paused');
    await transition.completeInitialSync(database.db, syncing);
    await transition.completeInitialSync(database.db, paused);
    expect(await row(syncing)).toMatchObject({ status: 'active', initialSyncState: 'completed', initialSyncPhase: 'done' });
    expect(await row(paused)).toMatchObject({ status: 'paused', initialSyncState: 'completed', initialSyncPhase: 'done' });
  });

  it('failInitialSync asks for attention with the reason and leaves pausing the schedule to the next step', async () => {
    const tenantId = await tenantIn('syncing');
    await transition.failInitialSync(database.db, tenantId, failure);
    expect(await row(tenantId)).toMatchObject({
      status: 'needs_attention', initialSyncState: 'failed', lastErrorCode: failure.code, lastErrorMessage: failure.message, schedulePaused: false,
    });
    await expect(transition.pauseForAttention(database.db, tenantId, failure)).resolves.toBe(true);
    expect(await row(tenantId)).toMatchObject({ schedulePaused: true, pauseNote: `Paused by duo-usage-sync: ${failure.code}: ${failure.message}` });
  });

  it('needAttention pauses the schedule with a note naming the failure, records it, and leaves the initial sync alone', async () => {
    const tenantId = await tenantIn('active');
    await transition.needAttention(database.db, tenantId, failure);
    expect(await row(tenantId)).toMatchObject({
      status: 'needs_attention', schedulePaused: true, pauseNote: `Paused by duo-usage-sync: ${failure.code}: ${failure.message}`,
      lastErrorCode: failure.code, initialSyncState: 'completed',
    });
  });

  it('resume settles a failure that needed attention, and starts the streak over', async () => {
    const tenantId = await tenantIn('needs_attention');
    await database.sql`update duo_integrations set consecutive_failures = 3 where tenant_id = ${tenantId}`;
    await transition.resume(database.db, tenantId);
    expect(await row(tenantId)).toMatchObject({ status: 'syncing', schedulePaused: false, pauseNote: null, lastErrorCode: null, consecutiveFailures: 0 });
  });

  it('resume of a human pause keeps the last failure on record', async () => {
    const tenantId = await tenantIn('needs_attention');
    await transition.pause(database.db, tenantId, 'Paused by ops: looking into it');
    await transition.resume(database.db, tenantId);
    expect(await row(tenantId)).toMatchObject({ status: 'syncing', schedulePaused: false, lastErrorCode: failure.code });
  });

  it('disconnect erases the secret, and a second disconnect keeps the time of the first', async () => {
    const tenantId = await tenantIn('disconnected');
    const first = await row(tenantId);
    expect(first).toMatchObject({ status: 'disconnected', secretKeySealed: null, encryptionKeyId: null, schedulePaused: true, pauseNote: 'disconnected' });
    await transition.disconnect(database.db, tenantId);
    expect((await row(tenantId))?.disconnectedAt).toEqual(first?.disconnectedAt);
  });

  it('beginPurge erases the secret and deletes no data by itself', async () => {
    const tenantId = await tenantIn('active');
    await transition.beginPurge(database.db, tenantId, nothingElse);
    expect(await row(tenantId)).toMatchObject({ status: 'purging', secretKeySealed: null, encryptionKeyId: null, schedulePaused: true, purgedAt: null });
    const [checkpoint] = await database.sql`select count(*)::int as n from stream_checkpoints where tenant_id = ${tenantId}`;
    expect(checkpoint?.n).toBe(1);
  });

  it('finishPurge leaves a tombstone with no key, API host, note or error', async () => {
    const tenantId = await tenantIn('needs_attention');
    await transition.beginPurge(database.db, tenantId, nothingElse);
    await transition.finishPurge(database.db, tenantId, nothingElse);
    expect(await row(tenantId)).toMatchObject({
      status: 'disconnected', apiHost: null, integrationKey: null, secretKeySealed: null, encryptionKeyId: null,
      pauseNote: null, lastErrorCode: null, lastErrorMessage: null, purgedAt: expect.any(Date),
    });
  });
});
