import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { startSimulator, type AccountSpec, type FaultSpec, type RateLimitSpec, type RunningSimulator } from '../../simulator/server.js';

/**
 * Starting the Duo simulator in tests, driving its /__sim control API, and a minimal Duo request
 * signer of our own (deliberately not duo/'s: the simulator must not be proven by the code it tests).
 */

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SECRET_CHARS = `${ALNUM}abcdefghijklmnopqrstuvwxyz`;

function randomChars(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A valid account with random keys and host and a small dataset (25 users, ~300 auth events in 7 days). */
export function makeAccount(overrides: Partial<AccountSpec> = {}): AccountSpec {
  return {
    integrationKey: `DI${randomChars(ALNUM, 18)}`,
    secretKey: randomChars(SECRET_CHARS, 40),
    apiHost: `api-${randomBytes(4).toString('hex')}.duosecurity.com`,
    dataset: { seed: randomInt(2 ** 31), users: 25, groups: 5, authEvents: 300, days: 7 },
    ...overrides,
  };
}

// --- control API -------------------------------------------------------------------------------

export type Grant = 'readLog' | 'readResource' | 'readInformation';
export type UserStatus = 'active' | 'bypass' | 'disabled' | 'locked out' | 'pending deletion';

const counts = z.record(z.string(), z.number());
const statsSchema = z.object({
  requests: z.object({ total: z.number(), byClass: z.record(z.string(), counts), byEndpoint: z.record(z.string(), counts) }),
  signatures: counts,
  faults: counts,
});
const setDigest = z.object({ count: z.number(), checksum: z.string() });
const eventDigest = setDigest.extend({ oldestMs: z.number().nullable(), newestMs: z.number().nullable() });
const truthSchema = z.object({
  at: z.number(),
  window: z.object({ mintime: z.number(), maxtime: z.number() }),
  users: setDigest,
  groups: setDigest,
  memberships: setDigest,
  authEvents: eventDigest,
  telephonyEvents: eventDigest,
  activityEvents: eventDigest,
  adminEvents: eventDigest,
});
const rosterEntry = z.object({
  user_id: z.string(),
  username: z.string(),
  email: z.string(),
  status: z.enum(['active', 'bypass', 'disabled', 'locked out', 'pending deletion']),
  is_enrolled: z.boolean(),
  created: z.number(),
  last_login: z.number().nullable(),
  group_ids: z.array(z.string()),
});
const rosterSchema = z.object({ users: z.array(rosterEntry), groups: z.array(z.object({ group_id: z.string(), name: z.string() })) });

export type SimulatorStats = z.infer<typeof statsSchema>;
export type SimulatorTruth = z.infer<typeof truthSchema>;
export type RosterEntry = z.infer<typeof rosterEntry>;
export type Roster = z.infer<typeof rosterSchema>;

export interface TruthWindow {
  at?: number;
  mintime?: number;
  maxtime?: number;
}

export interface SimulatorControl {
  reset(): Promise<void>;
  addAccount(spec: AccountSpec): Promise<void>;
  setFaults(integrationKey: string, faults: FaultSpec): Promise<void>;
  setRateLimits(integrationKey: string, limits: RateLimitSpec): Promise<void>;
  revoke(integrationKey: string, what: { keys?: true; permission?: Grant }): Promise<void>;
  restore(integrationKey: string, what?: { keys?: true; permission?: Grant }): Promise<void>;
  deleteUser(integrationKey: string, userId: string): Promise<void>;
  setUserStatus(integrationKey: string, userId: string, status: UserStatus): Promise<void>;
  renameGroup(integrationKey: string, groupId: string, name: string): Promise<void>;
  stats(integrationKey: string): Promise<SimulatorStats>;
  truth(integrationKey: string, window?: TruthWindow): Promise<SimulatorTruth>;
  /** Sorted, from the streaming endpoint. */
  authTxids(integrationKey: string, window?: TruthWindow): Promise<string[]>;
  roster(integrationKey: string): Promise<Roster>;
}

export class ControlApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`simulator control API answered ${status}: ${body}`);
    this.name = 'ControlApiError';
  }
}

function windowQuery(window: TruthWindow = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(window)) if (typeof value === 'number') params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function createControlClient(origin: string): SimulatorControl {
  const call = async (method: string, path: string, body?: unknown): Promise<string> => {
    const response = await fetch(`${origin}/__sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new ControlApiError(response.status, text);
    return text;
  };
  const account = (ikey: string): string => `/accounts/${encodeURIComponent(ikey)}`;
  return {
    async reset() {
      await call('POST', '/reset');
    },
    async addAccount(spec) {
      await call('POST', '/accounts', spec);
    },
    async setFaults(ikey, faults) {
      await call('PUT', `${account(ikey)}/faults`, faults);
    },
    async setRateLimits(ikey, limits) {
      await call('PUT', `${account(ikey)}/rate-limits`, limits);
    },
    async revoke(ikey, what) {
      await call('POST', `${account(ikey)}/revoke`, what);
    },
    async restore(ikey, what = {}) {
      await call('POST', `${account(ikey)}/restore`, what);
    },
    async deleteUser(ikey, userId) {
      await call('POST', `${account(ikey)}/users/${encodeURIComponent(userId)}/delete`);
    },
    async setUserStatus(ikey, userId, status) {
      await call('POST', `${account(ikey)}/users/${encodeURIComponent(userId)}/status`, { status });
    },
    async renameGroup(ikey, groupId, name) {
      await call('POST', `${account(ikey)}/groups/${encodeURIComponent(groupId)}/rename`, { name });
    },
    async stats(ikey) {
      return statsSchema.parse(JSON.parse(await call('GET', `${account(ikey)}/stats`)));
    },
    async truth(ikey, window) {
      return truthSchema.parse(JSON.parse(await call('GET', `${account(ikey)}/truth${windowQuery(window)}`)));
    },
    async authTxids(ikey, window) {
      const text = await call('GET', `${account(ikey)}/truth/auth-txids${windowQuery(window)}`);
      return text.split('\n').filter((line) => line !== '');
    },
    async roster(ikey) {
      return rosterSchema.parse(JSON.parse(await call('GET', `${account(ikey)}/truth/users`)));
    },
  };
}

export interface TestSimulator extends RunningSimulator {
  control: SimulatorControl;
}

export async function startTestSimulator(
  accounts: AccountSpec[],
  options: { now?: () => number; host?: string } = {},
): Promise<TestSimulator> {
  const simulator = await startSimulator({ accounts, ...options });
  return { ...simulator, control: createControlClient(simulator.origin) };
}

/** A clock tests move by hand. */
export function manualClock(startMs = Date.now()): { now: () => number; advance: (ms: number) => void; set: (ms: number) => void } {
  let current = startMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (ms) => {
      current = ms;
    },
  };
}

// --- a minimal signer ----------------------------------------------------------------------------

export type SigningScheme = 'v2-sha1' | 'v2-sha512' | 'v5' | 'v5-x-duo-date';

/** Percent-encoding with only A-Za-z0-9 _ . - ~ left alone and upper-case hex. */
function duoEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQuery(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .map(([k, v]) => `${duoEncode(k)}=${duoEncode(v)}`)
    .sort((a, b) => {
      const [ka = '', va = ''] = a.split('=');
      const [kb = '', vb = ''] = b.split('=');
      return ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0;
    })
    .join('&');
}

export interface SignedGetOptions {
  scheme?: SigningScheme;
  /** Date string to sign and send; default: now from `clock` (or Date.now) as RFC 2822 `GMT`. */
  date?: string;
  clock?: () => number;
  /** Sign with these instead of the account's (to provoke 40103 / 40102). */
  secretKey?: string;
  integrationKey?: string;
  host?: string;
  /** The query string to send instead of the canonical one (signing still uses the params). */
  rawQuery?: string;
  omitAuthorization?: boolean;
}

export interface SimResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export function signGet(
  account: Pick<AccountSpec, 'integrationKey' | 'secretKey' | 'apiHost'>,
  path: string,
  params: ReadonlyArray<readonly [string, string]>,
  options: SignedGetOptions = {},
): { query: string; headers: Record<string, string> } {
  const scheme = options.scheme ?? 'v2-sha512';
  const date = options.date ?? new Date((options.clock ?? Date.now)()).toUTCString();
  const query = canonicalQuery(params);
  const lines = [date, 'GET', (options.host ?? account.apiHost).toLowerCase(), path, query];
  const headers: Record<string, string> = {};
  if (scheme === 'v5' || scheme === 'v5-x-duo-date') {
    lines.push(createHash('sha512').update('').digest('hex'));
    const duoHeaders = scheme === 'v5-x-duo-date' ? `x-duo-date\0${date}` : '';
    lines.push(createHash('sha512').update(duoHeaders).digest('hex'));
  }
  if (scheme === 'v5-x-duo-date') headers['X-Duo-Date'] = date;
  else headers.Date = date;
  const digest = scheme === 'v2-sha1' ? 'sha1' : 'sha512';
  const signature = createHmac(digest, options.secretKey ?? account.secretKey).update(lines.join('\n')).digest('hex');
  if (!options.omitAuthorization) {
    headers.Authorization = `Basic ${Buffer.from(`${options.integrationKey ?? account.integrationKey}:${signature}`).toString('base64')}`;
  }
  return { query, headers };
}

/** A signed GET over node:http; resolves with whatever came back, rejects on a dropped connection. */
export function duoGet(
  origin: string,
  account: Pick<AccountSpec, 'integrationKey' | 'secretKey' | 'apiHost'>,
  path: string,
  params: ReadonlyArray<readonly [string, string]> | Record<string, string> = [],
  options: SignedGetOptions = {},
): Promise<SimResponse> {
  const list = Array.isArray(params) ? params : Object.entries(params);
  const { query, headers } = signGet(account, path, list, options);
  const sent = options.rawQuery ?? query;
  const url = new URL(`${path}${sent ? `?${sent}` : ''}`, origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => {
        if (!res.complete) reject(new Error('response ended early'));
        else resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** duoGet, then JSON.parse (throws on a non-JSON body). */
export async function duoGetJson(
  origin: string,
  account: Pick<AccountSpec, 'integrationKey' | 'secretKey' | 'apiHost'>,
  path: string,
  params: ReadonlyArray<readonly [string, string]> | Record<string, string> = [],
  options: SignedGetOptions = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: unknown }> {
  const response = await duoGet(origin, account, path, params, options);
  return { status: response.status, headers: response.headers, body: JSON.parse(response.text) };
}
