import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDuoClient, DUO_LOG_DELAY_MS, type DuoClientOptions } from '../../../duo/client.js';
import type { SignatureVersion } from '../../../duo/signing.js';
import { closeDuoConnections } from '../../../duo/transport.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/*
 * Full walks of every endpoint against the Duo simulator over HTTP, compared with what the
 * simulator says it holds (its truth digests: SHA-256 of the sorted ids joined by "\n").
 */

const DAY = 86_400_000;
const clock = manualClock(Math.floor(Date.now() / 60_000) * 60_000);
const account = makeAccount({
  dataset: { seed: 4242, users: 650, groups: 130, authEvents: 2500, days: 7, telephonyEvents: 400, activityEvents: 300, adminEvents: 1500 },
});
let sim: TestSimulator;

function clientOptions(overrides: Partial<DuoClientOptions> = {}): DuoClientOptions {
  return {
    apiHost: account.apiHost,
    integrationKey: account.integrationKey,
    secretKey: account.secretKey,
    originOverride: sim.origin,
    now: clock.now,
    ...overrides,
  };
}

async function collect<P>(pages: AsyncIterable<P>): Promise<P[]> {
  const out: P[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

function digest(lines: string[]): { count: number; checksum: string } {
  const sorted = [...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { count: sorted.length, checksum: createHash('sha256').update(sorted.join('\n'), 'utf8').digest('hex') };
}

beforeAll(async () => {
  sim = await startTestSimulator([account], { now: clock.now });
});

afterAll(async () => {
  await closeDuoConnections();
  await sim.close();
});

describe('object lists against the simulator', () => {
  it('pages every user, 300 at a time, matching the simulator truth', async () => {
    const pages = await collect(createDuoClient(clientOptions()).userPages());
    expect(pages.map((p) => [p.items.length, p.next])).toEqual([
      [300, 300],
      [300, 600],
      [50, null],
    ]);
    const truth = await sim.control.truth(account.integrationKey);
    expect(digest(pages.flatMap((p) => p.items.map((u) => u.user_id)))).toEqual(truth.users);
  });

  it('keeps memberships embedded in users, matching the simulator truth', async () => {
    const pages = await collect(createDuoClient(clientOptions()).userPages());
    const memberships = pages.flatMap((p) => p.items.flatMap((u) => (u.groups ?? []).map((g) => `${u.user_id}:${g.group_id ?? ''}`)));
    expect(digest(memberships)).toEqual((await sim.control.truth(account.integrationKey)).memberships);
  });

  it('pages every group, 100 at a time, matching the simulator truth', async () => {
    const pages = await collect(createDuoClient(clientOptions()).groupPages());
    expect(pages.map((p) => p.items.length)).toEqual([100, 30]);
    expect(digest(pages.flatMap((p) => p.items.map((g) => g.group_id)))).toEqual((await sim.control.truth(account.integrationKey)).groups);
  });

  it('resumes users from a stored offset', async () => {
    const pages = await collect(createDuoClient(clientOptions()).userPages({ offset: 600 }));
    expect(pages.map((p) => p.items.length)).toEqual([50]);
  });
});

describe('v2 logs against the simulator', () => {
  const window = () => ({ mintimeMs: clock.now() - 8 * DAY, maxtimeMs: clock.now() });

  it('walks the authentication log in pages of 1000, matching the simulator truth for the clamped window', async () => {
    const w = window();
    const pages = await collect(createDuoClient(clientOptions()).authLogPages(w));
    const txids = pages.flatMap((p) => p.items.map((e) => e.txid));
    expect(new Set(txids).size).toBe(txids.length);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    expect(pages.slice(0, -1).every((p) => p.items.length === 1000)).toBe(true);
    expect(pages.at(-1)?.next).toBeNull();
    expect(pages[0]?.window).toEqual({ mintimeMs: w.mintimeMs, maxtimeMs: clock.now() - DUO_LOG_DELAY_MS });
    const truth = await sim.control.truth(account.integrationKey, { mintime: w.mintimeMs, maxtime: clock.now() - DUO_LOG_DELAY_MS });
    expect(digest(txids)).toEqual({ count: truth.authEvents.count, checksum: truth.authEvents.checksum });
  });

  it('returns events in ascending time order', async () => {
    const pages = await collect(createDuoClient(clientOptions()).authLogPages(window()));
    const times = pages.flatMap((p) => p.items.map((e) => e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('resumes the authentication log from a stored "ts_ms,txid" cursor without repeating or losing events', async () => {
    const w = window();
    const client = createDuoClient(clientOptions());
    const first = await client.authLogPages({ ...w, limit: 700 }).next();
    const firstPage = first.done ? undefined : first.value;
    expect(firstPage?.next).toMatch(/^\d{13},[0-9a-f-]{36}$/);
    const stored: unknown = JSON.parse(JSON.stringify(firstPage?.next));
    const rest = await collect(client.authLogPages({ ...w, limit: 700, cursor: typeof stored === 'string' ? stored : null }));
    const all = [...(firstPage?.items ?? []), ...rest.flatMap((p) => p.items)].map((e) => e.txid);
    const everything = (await collect(client.authLogPages(w))).flatMap((p) => p.items.map((e) => e.txid));
    expect(all).toEqual(everything);
  });

  it('walks the activity log matching the simulator truth', async () => {
    const w = window();
    const pages = await collect(createDuoClient(clientOptions()).activityLogPages({ ...w, limit: 100 }));
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.slice(0, -1).every((p) => typeof p.next === 'string' && /^\d{13},/.test(p.next))).toBe(true);
    const truth = await sim.control.truth(account.integrationKey, { mintime: w.mintimeMs, maxtime: clock.now() - DUO_LOG_DELAY_MS });
    expect(digest(pages.flatMap((p) => p.items.map((e) => e.activity_id)))).toEqual({
      count: truth.activityEvents.count,
      checksum: truth.activityEvents.checksum,
    });
  });

  it('walks the telephony log matching the simulator truth', async () => {
    const w = window();
    const pages = await collect(createDuoClient(clientOptions()).telephonyLogPages({ ...w, limit: 150 }));
    expect(pages.length).toBeGreaterThan(1);
    const truth = await sim.control.truth(account.integrationKey, { mintime: w.mintimeMs, maxtime: clock.now() - DUO_LOG_DELAY_MS });
    expect(digest(pages.flatMap((p) => p.items.map((e) => e.telephony_id)))).toEqual({
      count: truth.telephonyEvents.count,
      checksum: truth.telephonyEvents.checksum,
    });
  });
});

describe('v2 logs whose pages are shorter than the limit asked (Duo caps them at 50)', () => {
  const window = () => ({ mintimeMs: clock.now() - 8 * DAY, maxtimeMs: clock.now() });
  const truthWindow = (w: { mintimeMs: number }) => ({ mintime: w.mintimeMs, maxtime: clock.now() - DUO_LOG_DELAY_MS });

  beforeEach(async () => {
    await sim.control.setSettings(account.integrationKey, { maxLogPageSize: 50 });
  });

  afterEach(async () => {
    await sim.control.setSettings(account.integrationKey, {});
  });

  it('follows next_offset over 50-row pages and matches the simulator truth exactly', async () => {
    const w = window();
    const pages = await collect(createDuoClient(clientOptions()).authLogPages({ ...w, limit: 1000 }));
    const txids = pages.flatMap((p) => p.items.map((e) => e.txid));
    expect(pages.length).toBeGreaterThan(40);
    expect(pages.slice(0, -1).every((p) => p.items.length === 50 && p.next !== null)).toBe(true);
    const truth = await sim.control.truth(account.integrationKey, truthWindow(w));
    expect(digest(txids)).toEqual({ count: truth.authEvents.count, checksum: truth.authEvents.checksum });
  });

  it('resumes from a cursor stored after a short page without repeating or losing events', async () => {
    const w = window();
    const client = createDuoClient(clientOptions());
    const first = await client.authLogPages(w).next();
    const firstItems = first.done ? [] : first.value.items;
    expect(firstItems).toHaveLength(50);
    const rest = await collect(client.authLogPages({ ...w, cursor: first.done ? null : first.value.next }));
    const resumed = [...firstItems, ...rest.flatMap((p) => p.items)].map((e) => e.txid);
    const truth = await sim.control.truth(account.integrationKey, truthWindow(w));
    expect(digest(resumed)).toEqual({ count: truth.authEvents.count, checksum: truth.authEvents.checksum });
  });

  it('walks the activity and telephony logs over capped pages, matching the simulator truth', async () => {
    const w = window();
    const client = createDuoClient(clientOptions());
    const truth = await sim.control.truth(account.integrationKey, truthWindow(w));
    const activity = await collect(client.activityLogPages(w));
    const telephony = await collect(client.telephonyLogPages(w));
    expect(activity.length).toBeGreaterThan(1);
    expect(digest(activity.flatMap((p) => p.items.map((e) => e.activity_id)))).toEqual({ count: truth.activityEvents.count, checksum: truth.activityEvents.checksum });
    expect(digest(telephony.flatMap((p) => p.items.map((e) => e.telephony_id)))).toEqual({ count: truth.telephonyEvents.count, checksum: truth.telephonyEvents.checksum });
  });
});

describe('an account whose Duo log retention is shorter than 180 days', () => {
  afterEach(async () => {
    await sim.control.setSettings(account.integrationKey, {});
  });

  it('answers a window older than the retention with one empty final page and no error', async () => {
    await sim.control.setSettings(account.integrationKey, { logRetentionDays: 2 });
    const before = (await sim.control.stats(account.integrationKey)).requests.total;
    const pages = await collect(createDuoClient(clientOptions()).authLogPages({ mintimeMs: clock.now() - 8 * DAY, maxtimeMs: clock.now() - 3 * DAY }));
    expect(pages.map((p) => [p.items.length, p.next])).toEqual([[0, null]]);
    expect((await sim.control.stats(account.integrationKey)).requests.total).toBe(before + 1);
  });

  it('returns only the retained part of a window that straddles the retention', async () => {
    await sim.control.setSettings(account.integrationKey, { logRetentionDays: 2 });
    const pages = await collect(createDuoClient(clientOptions()).authLogPages({ mintimeMs: clock.now() - 8 * DAY, maxtimeMs: clock.now() }));
    const times = pages.flatMap((p) => p.items.map((e) => e.timestamp * 1000));
    expect(times.length).toBeGreaterThan(0);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(clock.now() - 2 * DAY - 1000);
  });
});

describe('v1 administrator log against the simulator', () => {
  it('scans by mintime in pages of up to 1000 and, deduplicated, matches the simulator truth', async () => {
    const startSec = Math.floor((clock.now() - 8 * DAY) / 1000);
    const warnings: string[] = [];
    const logger = { warn: (message: string) => void warnings.push(message) };
    const pages = await collect(createDuoClient({ ...clientOptions(), logger }).adminLogPages({ mintimeSec: startSec }));
    expect(pages.length).toBeGreaterThan(1);
    // Full pages here span several seconds, so no second is cut short.
    expect(pages.every((p) => p.overflowSecond === null)).toBe(true);
    expect(warnings).toEqual([]);
    expect(pages[0]?.items).toHaveLength(1000);
    expect(pages.at(-1)?.next).toBeNull();
    const identities = new Set(pages.flatMap((p) => p.items.map((r) => `${r.timestamp}|${r.action}|${r.object}|${r.username}`)));
    const truth = await sim.control.truth(account.integrationKey, { mintime: startSec * 1000 });
    expect(digest([...identities])).toEqual({ count: truth.adminEvents.count, checksum: truth.adminEvents.checksum });
  });
});

describe('signature schemes against the simulator', () => {
  it.each<[SignatureVersion, string]>([
    ['v5', 'v5'],
    ['v5-x-duo-date', 'v5'],
    ['v2-hmac-sha512', 'v2-sha512'],
    ['v2-hmac-sha1', 'v2-sha1'],
  ])('is accepted with %s', async (version, simulatorScheme) => {
    const before = (await sim.control.stats(account.integrationKey)).signatures[simulatorScheme] ?? 0;
    const first = await createDuoClient(clientOptions({ signatureVersion: version })).userPages({ limit: 1 }).next();
    expect(first.done ? [] : first.value.items).toHaveLength(1);
    expect((await sim.control.stats(account.integrationKey)).signatures[simulatorScheme]).toBe(before + 1);
  });

  it('uses v5 by default', async () => {
    const before = (await sim.control.stats(account.integrationKey)).signatures.v5 ?? 0;
    await createDuoClient(clientOptions()).groupPages({ limit: 1 }).next();
    expect((await sim.control.stats(account.integrationKey)).signatures.v5).toBe(before + 1);
  });
});
