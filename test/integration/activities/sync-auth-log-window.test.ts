import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALFORMED_ATTEMPTS_BEFORE_STALL } from '../../../activities/failures.js';
import { syncAuthLogWindow } from '../../../activities/sync-auth-log-window.js';
import { AppError } from '../../../errors/app-error.js';
import type { AccountSpec } from '../../../simulator/server.js';
import type { LogWindowInput } from '../../../workflows/types.js';
import { malformedAnswer, serverErrorAnswer, type ProxiedRequest } from '../../helpers/scripted-duo-proxy.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { runAttempt, startSimulatedTenant, type SimulatedTenant } from './simulated-tenant.js';

const DAY = 86_400_000;
const AUTH_LOG = '/admin/v2/logs/authentication';
// History ends 10 minutes ago (all of it visible); ~10,000 events a day, so even a weekend day (about
// 0.4 of the mean in the simulator's week) holds several pages.
const anchorMs = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
const dataset = { seed: 4711, users: 50, groups: 3, authEvents: 30_000, days: 3, anchorMs };
const dayWindow = (tenantId: string, daysBeforeAnchor: number): LogWindowInput => ({
  tenantId,
  stream: 'auth',
  windowStartMs: anchorMs - daysBeforeAnchor * DAY,
  windowEndMs: anchorMs - (daysBeforeAnchor - 1) * DAY,
});

const isAuthPage = (request: ProxiedRequest) => request.path === AUTH_LOG;

async function windowRow(tenant: SimulatedTenant, input: LogWindowInput) {
  const [row] = await tenant.database.sql<{ cursor: string | null; pages: number; done: boolean; malformed_streak: number; malformed_at: string | null }[]>`
    select cursor, pages, done, malformed_streak, malformed_at from backfill_windows
    where tenant_id = ${input.tenantId} and stream = 'auth' and window_start_ms = ${input.windowStartMs}`;
  if (!row) throw new Error('no backfill window row');
  return row;
}

async function storedTxids(tenant: SimulatedTenant): Promise<string[]> {
  const rows = await tenant.database.sql<{ txid: string }[]>`select txid from duo_auth_events where tenant_id = ${tenant.tenantId} order by txid`;
  return rows.map((row) => row.txid);
}

async function truthTxids(tenant: SimulatedTenant, account: AccountSpec, input: LogWindowInput): Promise<string[]> {
  const txids = await tenant.simulator.control.authTxids(account.integrationKey, { mintime: input.windowStartMs, maxtime: input.windowEndMs });
  return [...txids].sort();
}

function failureOf(outcome: { ok: true } | { ok: false; error: unknown }): AppError {
  if (outcome.ok) throw new Error('the attempt succeeded');
  if (!(outcome.error instanceof AppError)) throw outcome.error;
  return outcome.error;
}

describe('a backfill window retried after a failure mid-window', () => {
  const account = makeAccount({ dataset });
  const input = dayWindow('resume', 2);
  let tenant: SimulatedTenant;
  let firstAttempt: Awaited<ReturnType<typeof runAttempt>>;
  let cursorAfterFirst: string | null = null;
  let secondAttemptRequests: ProxiedRequest[] = [];

  beforeAll(async () => {
    tenant = await startSimulatedTenant(input.tenantId, [account]);
    // Attempt 1: two pages land, then Duo fails the third request.
    let pagesServed = 0;
    tenant.proxy.script = (request) => (isAuthPage(request) && ++pagesServed > 2 ? serverErrorAnswer : undefined);
    firstAttempt = await runAttempt(1, syncAuthLogWindow, tenant.deps, input);
    cursorAfterFirst = (await windowRow(tenant, input)).cursor;
    tenant.proxy.script = () => undefined;
    const before = tenant.proxy.requests.length;
    const second = await runAttempt(2, syncAuthLogWindow, tenant.deps, input);
    if (!second.ok) throw second.error;
    secondAttemptRequests = tenant.proxy.requests.slice(before).filter(isAuthPage);
  });
  afterAll(async () => { await tenant?.close(); });

  it('keeps the two committed pages and their cursor when the first attempt fails', async () => {
    expect(failureOf(firstAttempt).code).toBe('DUO_SERVER_ERROR');
    expect(cursorAfterFirst).toMatch(/^\d{13},/);
  });

  it('resumes the retry at the stored cursor instead of the first page of the window', () => {
    expect(secondAttemptRequests.length).toBeGreaterThan(0);
    expect(secondAttemptRequests[0]?.params.get('next_offset')).toBe(cursorAfterFirst);
    expect(secondAttemptRequests.filter((request) => !request.params.has('next_offset'))).toEqual([]);
  });

  it('ends with exactly the events Duo holds for the window', async () => {
    expect((await windowRow(tenant, input)).done).toBe(true);
    expect(await storedTxids(tenant)).toEqual(await truthTxids(tenant, account, input));
  });
});

describe('a backfill page that Duo answers malformed', () => {
  const account = makeAccount({ dataset });
  const input = dayWindow('malformed', 2);
  let tenant: SimulatedTenant;
  let attempt = 0;
  /** The second page of the window (the first request carrying a cursor) gets `answer`. */
  const secondPageAnswers = (answer: typeof malformedAnswer) => {
    tenant.proxy.script = (request) => (isAuthPage(request) && request.params.has('next_offset') ? answer : undefined);
  };
  const nextAttempt = async () => failureOf(await runAttempt(++attempt, syncAuthLogWindow, tenant.deps, input));

  beforeAll(async () => {
    tenant = await startSimulatedTenant(input.tenantId, [account]);
  });
  afterAll(async () => { await tenant?.close(); });

  it('is retried, not stopped, when earlier attempts failed for other reasons (Temporal attempt number past the limit)', async () => {
    secondPageAnswers(serverErrorAnswer);
    for (let i = 0; i < MALFORMED_ATTEMPTS_BEFORE_STALL; i++) expect((await nextAttempt()).code).toBe('DUO_SERVER_ERROR');
    secondPageAnswers(malformedAnswer);
    const failure = await nextAttempt();
    expect(attempt).toBeGreaterThan(MALFORMED_ATTEMPTS_BEFORE_STALL);
    expect(failure).toMatchObject({ code: 'DUO_MALFORMED_RESPONSE', retryable: true });
    expect(await windowRow(tenant, input)).toMatchObject({ pages: 1, malformed_streak: 1 });
  });

  it('counts malformed answers in a row at that page, across other failures in between', async () => {
    for (let streak = 2; streak < MALFORMED_ATTEMPTS_BEFORE_STALL; streak++) {
      if (streak === 4) {
        secondPageAnswers(serverErrorAnswer);
        expect((await nextAttempt()).code).toBe('DUO_SERVER_ERROR');
        secondPageAnswers(malformedAnswer);
      }
      expect((await nextAttempt()).code).toBe('DUO_MALFORMED_RESPONSE');
    }
    const row = await windowRow(tenant, input);
    expect(row).toMatchObject({ malformed_streak: MALFORMED_ATTEMPTS_BEFORE_STALL - 1, malformed_at: row.cursor });
  });

  it(`stops with a non-retryable SYNC_STALLED naming the window and page once it was malformed ${MALFORMED_ATTEMPTS_BEFORE_STALL} times in a row`, async () => {
    const failure = await nextAttempt();
    expect(failure).toMatchObject({ code: 'SYNC_STALLED', retryable: false });
    expect(failure.message).toContain(new Date(input.windowStartMs).toISOString());
    expect(failure.message).toContain(new Date(input.windowEndMs).toISOString());
    expect(failure.message).toContain('after page 1');
    expect(failure.message).toContain(`${MALFORMED_ATTEMPTS_BEFORE_STALL} times in a row`);
  });

  it('never skips the page: once Duo answers it, the window completes with exactly its events and no streak', async () => {
    tenant.proxy.script = () => undefined;
    const outcome = await runAttempt(++attempt, syncAuthLogWindow, tenant.deps, input);
    expect(outcome.ok).toBe(true);
    expect(await windowRow(tenant, input)).toMatchObject({ done: true, malformed_streak: 0, malformed_at: null });
    expect(await storedTxids(tenant)).toEqual(await truthTxids(tenant, account, input));
  });
});

describe('a backfill window when the customer rotates the keys mid-window', () => {
  // The same Duo data behind two Admin API applications: the old keys, then the new ones.
  const oldKeys = makeAccount({ dataset });
  const newKeys = makeAccount({ dataset, apiHost: oldKeys.apiHost });
  const input = dayWindow('rotating', 2);
  let tenant: SimulatedTenant;
  let first: Awaited<ReturnType<typeof runAttempt>>;
  let retryRequests: ProxiedRequest[] = [];

  beforeAll(async () => {
    tenant = await startSimulatedTenant(input.tenantId, [oldKeys, newKeys]);
    // While the attempt is between pages: new keys PUT, the old application deleted in Duo.
    let pages = 0;
    tenant.proxy.script = async (request) => {
      if (isAuthPage(request) && ++pages === 2) {
        await tenant.storeKeys(newKeys);
        await tenant.simulator.control.revoke(oldKeys.integrationKey, { keys: true });
      }
      return undefined;
    };
    first = await runAttempt(1, syncAuthLogWindow, tenant.deps, input);
    tenant.proxy.script = () => undefined;
    const before = tenant.proxy.requests.length;
    const retry = await runAttempt(2, syncAuthLogWindow, tenant.deps, input);
    if (!retry.ok) throw retry.error;
    retryRequests = tenant.proxy.requests.slice(before);
  });
  afterAll(async () => { await tenant?.close(); });

  it('fails the attempt that met the old keys with a retryable DUO_CREDENTIALS_ROTATED, not a final rejection', () => {
    const failure = failureOf(first);
    expect(failure).toMatchObject({ code: 'DUO_CREDENTIALS_ROTATED', retryable: true });
    expect(failure.message).not.toContain(oldKeys.secretKey);
    expect(failure.message).not.toContain(newKeys.secretKey);
  });

  it('retries with the new keys from the stored cursor and ends with exactly the window’s events', async () => {
    expect(retryRequests.length).toBeGreaterThan(0);
    expect(new Set(retryRequests.map((request) => request.integrationKey))).toEqual(new Set([newKeys.integrationKey]));
    expect(retryRequests.filter((request) => isAuthPage(request) && !request.params.has('next_offset'))).toEqual([]);
    expect((await windowRow(tenant, input)).done).toBe(true);
    expect(await storedTxids(tenant)).toEqual(await truthTxids(tenant, newKeys, input));
  });

  it('still fails for good when Duo rejects the keys that are stored', async () => {
    await tenant.simulator.control.revoke(newKeys.integrationKey, { keys: true });
    const failure = failureOf(await runAttempt(1, syncAuthLogWindow, tenant.deps, dayWindow(input.tenantId, 3)));
    expect(failure).toMatchObject({ code: 'DUO_CREDENTIALS_REJECTED', retryable: false });
  });
});
