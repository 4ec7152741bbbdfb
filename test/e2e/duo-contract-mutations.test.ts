import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { compareWithTruth, noDifferences, rollupMismatches, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

/**
 * Duo answers that are valid HTTP and valid JSON but break the documented shape, which the simulator's
 * faults do not produce: a required field missing, a field of the wrong type, an empty body, an
 * envelope without `response`, and a page without its `metadata`. A proxy between the service and the
 * simulator spoils every successful list answer of one account while its mutation is on; the sync
 * must refuse the page as malformed (retried, nothing stored from it), then end exact once the
 * mutation is switched off.
 */

type Mutation = 'missingField' | 'wrongType' | 'emptyBody' | 'noResponse' | 'noMetadata';
const mutations: Mutation[] = ['missingField', 'wrongType', 'emptyBody', 'noResponse', 'noMetadata'];

// Three pages of users and several pages of events per day window, as in duo-contract-faults.
const accounts = new Map(mutations.map((m, i) => [m, makeAccount({ dataset: { seed: 500 + i, users: 700, groups: 4, authEvents: 9000, days: 3 } })]));
const tenantOf = (m: Mutation) => `mutation-${m.toLowerCase()}`;
const accountOf = (m: Mutation) => {
  const account = accounts.get(m);
  if (!account) throw new Error(`no account for ${m}`);
  return account;
};

/** Which mutation is on, per integration key, and how many answers it spoiled. */
const active = new Map<string, Mutation>();
const spoiled = new Map<string, number>();
let upstream = '';
let proxy: Server;
let harness: SyncHarness;

function integrationKeyOf(request: IncomingMessage): string {
  const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
  return Buffer.from(basic, 'base64').toString('utf8').split(':')[0] ?? '';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The mutated body, or undefined when this answer is not one the mutation applies to. */
function mutate(mutation: Mutation, path: string, body: unknown): string | undefined {
  if (!isRecord(body) || body.stat !== 'OK') return undefined;
  const response = body.response;
  const users = path === '/admin/v1/users' && Array.isArray(response) ? response : undefined;
  const logs = path === '/admin/v2/logs/authentication' && isRecord(response) && Array.isArray(response.authlogs) ? response : undefined;
  if (!users && !logs) return undefined;
  const first: unknown = users ? users[0] : logs && Array.isArray(logs.authlogs) ? logs.authlogs[0] : undefined;
  switch (mutation) {
    case 'missingField':
      if (!isRecord(first)) return undefined;
      delete first[users ? 'user_id' : 'txid'];
      return JSON.stringify(body);
    case 'wrongType':
      if (!isRecord(first)) return undefined;
      if (users) first.status = 42;
      else first.timestamp = String(first.timestamp);
      return JSON.stringify(body);
    case 'emptyBody':
      return '';
    case 'noResponse':
      return JSON.stringify({ stat: 'OK' });
    case 'noMetadata': {
      // Only pages that have a following page: dropping the cursor there would end the listing early.
      const metadata = users ? body.metadata : logs?.metadata;
      const next = isRecord(metadata) ? metadata.next_offset : undefined;
      if (next === undefined || next === null) return undefined;
      if (users) delete body.metadata;
      else if (logs) delete logs.metadata;
      return JSON.stringify(body);
    }
  }
}

async function forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of ['authorization', 'date', 'x-duo-date', 'content-type']) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const answer = await fetch(`${upstream}${request.url ?? '/'}`, { method: request.method ?? 'GET', headers });
  const text = await answer.text();
  const ikey = integrationKeyOf(request);
  const mutation = active.get(ikey);
  const path = new URL(request.url ?? '/', 'http://proxy').pathname;
  let body = text;
  if (mutation && answer.status === 200) {
    const parsed: unknown = JSON.parse(text);
    const mutated = mutate(mutation, path, parsed);
    if (mutated !== undefined) {
      body = mutated;
      spoiled.set(ikey, (spoiled.get(ikey) ?? 0) + 1);
    }
  }
  response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
  response.end(body);
}

interface PhaseRecord {
  failureTypes: Set<string>;
  maxAttempt: number;
}
const phases = new Map<Mutation, PhaseRecord>();

const anchorOf = async (tenantId: string) => {
  const [row] = await harness.api.database.sql<{ anchor: number }[]>`
    select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
  return Number(row?.anchor);
};

beforeAll(async () => {
  proxy = createServer((request, response) => {
    forward(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyOrigin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  harness = await startSyncHarness({ accounts: [...accounts.values()], env: { BACKFILL_DAYS: '3', DUO_API_ORIGIN_OVERRIDE: proxyOrigin } });
  upstream = harness.simulator.origin;

  await Promise.all(
    mutations.map(async (mutation) => {
      const account = accountOf(mutation);
      const tenantId = tenantOf(mutation);
      expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
      active.set(account.integrationKey, mutation);
      const record: PhaseRecord = { failureTypes: new Set(), maxAttempt: 0 };
      phases.set(mutation, record);
      const handle = harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId));
      // Until three attempts in a row failed on spoiled answers, or the sync ended anyway (which, with
      // answers spoiled, means it accepted them).
      await waitFor(
        `three spoiled attempts of ${tenantId}`,
        async () => {
          const description = await handle.describe();
          for (const activity of description.raw.pendingActivities ?? []) {
            const type = activity.lastFailure?.applicationFailureInfo?.type;
            if (type) record.failureTypes.add(type);
            record.maxAttempt = Math.max(record.maxAttempt, activity.attempt ?? 0);
          }
          return record.maxAttempt >= 4 || description.status.name !== 'RUNNING';
        },
        120_000,
        500,
      );
      active.delete(account.integrationKey);
    }),
  );
  await Promise.all(mutations.map((m) => harness.waitForInitialSync(tenantOf(m)).catch(() => undefined)));
}, 300_000);

afterAll(async () => {
  await harness?.close();
  await new Promise((resolve) => proxy?.close(resolve));
});

describe.each(mutations)('initial sync through Duo answers with %s', (mutation) => {
  it('really received spoiled answers', () => {
    expect(spoiled.get(accountOf(mutation).integrationKey) ?? 0).toBeGreaterThanOrEqual(3);
  });

  it('refuses the spoiled page as a malformed response and retries it', () => {
    const phase = phases.get(mutation);
    expect([...(phase?.failureTypes ?? [])]).toEqual(['DUO_MALFORMED_RESPONSE']);
    expect(phase?.maxAttempt).toBeGreaterThanOrEqual(4);
  });

  it('ends with exactly the simulator\'s users, memberships and events once the answers are whole again', async () => {
    const tenantId = tenantOf(mutation);
    expect(await compareWithTruth(harness, tenantId, accountOf(mutation), { maxtime: await anchorOf(tenantId) })).toEqual(noDifferences);
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
  });
});
