import { createHash, createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createControlClient, type SimulatorControl } from '../../simulator/control-client.js';
import { startSimulator, type AccountSpec, type RunningSimulator, type SimulatorTls } from '../../simulator/server.js';

/**
 * Starting the Duo simulator in tests and a minimal Duo request signer of our own (deliberately not
 * duo/'s: the simulator must not be proven by the code it tests).
 */

export interface TestSimulator extends RunningSimulator {
  control: SimulatorControl;
}

export async function startTestSimulator(
  accounts: AccountSpec[],
  options: { now?: () => number; host?: string; tls?: SimulatorTls } = {},
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
