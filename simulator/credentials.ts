import type { IncomingHttpHeaders } from 'node:http';
import { invalidIntegrationKey, invalidSignature, missingCredentials, type DuoFailure } from './duo-errors.js';
import { parseParams, verifySignature, type Param, type SignatureScheme } from './signature.js';

/** How far the request's date may be from the simulator clock, either way. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** RFC 2822 as Duo's clients send it: `-0000`/`+0000` (Go, python) or `GMT` (Node). */
const RFC2822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT|UT|UTC)$/;

export interface IncomingSigned {
  method: string;
  /** Request target as received: path and optional query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Node's flat [name, value, name, value, ...] list, to see repeated headers. */
  rawHeaders: readonly string[];
  body: Buffer;
}

export interface AccountKeys {
  secretKey: string;
  apiHost: string;
}

export type CredentialResult =
  | { ok: true; integrationKey: string; scheme: SignatureScheme }
  | { ok: false; failure: DuoFailure; integrationKey?: string };

/** Reads `Authorization: Basic base64(ikey:hexsig)`. */
function parseAuthorization(header: string | undefined): { integrationKey: string; signature: string } | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  return { integrationKey: decoded.slice(0, colon), signature: decoded.slice(colon + 1) };
}

function headerPairs(rawHeaders: readonly string[]): Param[] {
  const pairs: Param[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i] ?? '', rawHeaders[i + 1] ?? '']);
  return pairs;
}

function signedParams(request: IncomingSigned, query: string): Param[] | undefined {
  const contentType = request.headers['content-type'] ?? '';
  const bodyIsForm = !['GET', 'HEAD', 'DELETE'].includes(request.method) && contentType.startsWith('application/x-www-form-urlencoded');
  return parseParams(bodyIsForm ? request.body.toString('utf8') : query);
}

/**
 * Identifies and authenticates a request: 40101 without usable credentials or date, 40102 for an
 * unknown (or revoked) integration key, 40103 for a stale or unparsable date or a wrong signature.
 */
export function checkCredentials(
  request: IncomingSigned,
  lookup: (integrationKey: string) => AccountKeys | undefined,
  nowMs: number,
): CredentialResult {
  const authorization = parseAuthorization(request.headers.authorization);
  const xDuoDate = request.headers['x-duo-date'];
  const date = typeof xDuoDate === 'string' ? xDuoDate : request.headers.date;
  if (!authorization || date === undefined) return { ok: false, failure: missingCredentials };
  const { integrationKey, signature } = authorization;
  const keys = lookup(integrationKey);
  if (!keys) return { ok: false, failure: invalidIntegrationKey, integrationKey };

  const dateMs = RFC2822.test(date) ? Date.parse(date) : Number.NaN;
  if (!Number.isFinite(dateMs) || Math.abs(dateMs - nowMs) > MAX_CLOCK_SKEW_MS) {
    return { ok: false, failure: invalidSignature, integrationKey };
  }

  const headers = headerPairs(request.rawHeaders);
  const duoNames = headers.map(([name]) => name.toLowerCase()).filter((name) => name.startsWith('x-duo-'));
  const queryStart = request.url.indexOf('?');
  const path = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const params = signedParams(request, queryStart === -1 ? '' : request.url.slice(queryStart + 1));
  if (!params || new Set(duoNames).size !== duoNames.length) return { ok: false, failure: invalidSignature, integrationKey };

  const scheme = verifySignature(
    { date, method: request.method, host: keys.apiHost, path, params, body: request.body, headers, signature },
    keys.secretKey,
  );
  return scheme ? { ok: true, integrationKey, scheme } : { ok: false, failure: invalidSignature, integrationKey };
}
