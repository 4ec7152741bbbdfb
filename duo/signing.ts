import { createHash, createHmac } from 'node:crypto';

/**
 * The request-signing schemes Duo accepts for the Admin API.
 *
 * - `v2-hmac-sha1`: the 5-line canonical request signed with HMAC-SHA1, as Duo's prose documents it.
 * - `v2-hmac-sha512`: the same 5 lines signed with HMAC-SHA512, what the Node and Go clients send.
 * - `v5`: 7 lines (adds the SHA-512 of the body and of the `X-Duo-*` headers), HMAC-SHA512, date in
 *   the `Date` header and no `X-Duo-*` headers, so line 7 is the SHA-512 of the empty string.
 * - `v5-x-duo-date`: v5 with the date sent as `X-Duo-Date`, which then enters the header hash.
 */
export const signatureVersions = ['v2-hmac-sha1', 'v2-hmac-sha512', 'v5', 'v5-x-duo-date'] as const;

/** One of {@link signatureVersions}. */
export type SignatureVersion = (typeof signatureVersions)[number];

/**
 * v5 with a `Date` header: Duo's reference client (duo_client_python) has defaulted to signature
 * v5 since mid-2023 and the Go and Node clients implement the same 7 lines with an empty header
 * hash; it is the newest scheme all official clients implement, and some newer Duo endpoints
 * accept nothing older. For a GET the body line is simply the hash of "".
 */
export const DEFAULT_SIGNATURE_VERSION: SignatureVersion = 'v5';

/** A query parameter: one value, or several for a repeated key. */
export type DuoParamValue = string | readonly string[];

/** Query parameters of one request, before encoding. */
export type DuoParams = Readonly<Record<string, DuoParamValue>>;

/** What gets signed. `host` is the tenant's Duo API host, never an override origin. */
export interface CanonicalRequestInput {
  /** The exact date string sent in `Date` or `X-Duo-Date`. */
  date: string;
  method: string;
  host: string;
  /** Path only, without query string; case-sensitive. */
  path: string;
  params: DuoParams;
  /** Exact body bytes (v5 only); `""` for a GET. */
  body?: string;
  /** Headers whose names start with `X-Duo-` (v5 only). */
  xDuoHeaders?: Readonly<Record<string, string>>;
}

/** Everything needed to produce the Authorization header. */
export interface SignRequestInput {
  version: SignatureVersion;
  integrationKey: string;
  secretKey: string;
  method: string;
  host: string;
  path: string;
  params: DuoParams;
  date: string;
  body?: string;
}

/** Headers to send with the request: the Authorization header and the date header it covers. */
export interface SignedHeaders {
  authorization: string;
  /** Present unless the scheme sends the date as `x-duo-date`. */
  date?: string;
  'x-duo-date'?: string;
}

const unreserved = /^[A-Za-z0-9_.~-]$/;
const hexByte: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  const char = String.fromCharCode(b);
  return b < 0x80 && unreserved.test(char) ? char : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
});

/**
 * Percent-encodes the UTF-8 bytes of `value`, leaving only `A-Za-z0-9_.-~` as is, with
 * upper-case hex (space becomes `%20`, never `+`). A lone surrogate encodes as U+FFFD.
 */
export function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) out += hexByte[byte] ?? '';
  return out;
}

function compareAscii(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The canonical parameter string: `key=value` pairs of encoded keys and values joined by `&`,
 * sorted by encoded key and, for a repeated key, by encoded value. Encoded text is ASCII, so
 * code-unit order equals byte order.
 */
export function canonicalizeParams(params: DuoParams): string {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    const encodedKey = percentEncode(key);
    const values = typeof value === 'string' ? [value] : value;
    for (const v of values) pairs.push([encodedKey, percentEncode(v)]);
  }
  pairs.sort((a, b) => compareAscii(a[0], b[0]) || compareAscii(a[1], b[1]));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Lower-case hex SHA-512 of the UTF-8 bytes of `text`. */
export function sha512Hex(text: string): string {
  return createHash('sha512').update(text, 'utf8').digest('hex');
}

/**
 * The `X-Duo-*` header block hashed by v5: names lower-cased and sorted, joined as
 * `name\0value\0name\0value`. Refuses names outside the prefix, duplicates and NUL characters,
 * which the server could not reproduce.
 */
export function canonicalizeXDuoHeaders(headers: Readonly<Record<string, string>>): string {
  const entries: Array<[string, string]> = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('x-duo-')) throw new TypeError(`Header ${name} is not an X-Duo- header`);
    if (seen.has(lower)) throw new TypeError(`Duplicate X-Duo header ${lower}`);
    if (lower.includes('\0') || value.includes('\0')) throw new TypeError(`X-Duo header ${lower} contains NUL`);
    seen.add(lower);
    entries.push([lower, value]);
  }
  entries.sort((a, b) => compareAscii(a[0], b[0]));
  return entries.flatMap(([name, value]) => [name, value]).join('\0');
}

/** The 5-line canonical request of signature v2. */
export function canonicalizeV2(input: CanonicalRequestInput): string {
  return [input.date, input.method.toUpperCase(), input.host.toLowerCase(), input.path, canonicalizeParams(input.params)].join('\n');
}

/** The 7-line canonical request of signature v5. */
export function canonicalizeV5(input: CanonicalRequestInput): string {
  return [
    canonicalizeV2(input),
    sha512Hex(input.body ?? ''),
    sha512Hex(canonicalizeXDuoHeaders(input.xDuoHeaders ?? {})),
  ].join('\n');
}

/** Hex HMAC of `canonical` with the secret key. */
export function hmacHex(algorithm: 'sha1' | 'sha512', secretKey: string, canonical: string): string {
  return createHmac(algorithm, secretKey).update(canonical, 'utf8').digest('hex');
}

/** `Basic base64(ikey:hexSignature)`. */
export function basicAuthorization(integrationKey: string, signatureHex: string): string {
  return `Basic ${Buffer.from(`${integrationKey}:${signatureHex}`, 'utf8').toString('base64')}`;
}

/** The canonical request string a scheme signs (exposed for tests and the simulator's checks). */
export function canonicalRequest(version: SignatureVersion, input: CanonicalRequestInput): string {
  switch (version) {
    case 'v2-hmac-sha1':
    case 'v2-hmac-sha512':
      return canonicalizeV2(input);
    case 'v5':
      return canonicalizeV5({ ...input, xDuoHeaders: {} });
    case 'v5-x-duo-date':
      return canonicalizeV5({ ...input, xDuoHeaders: { 'x-duo-date': input.date } });
  }
}

/** Signs one request; returns the headers to send. Pure: the caller supplies a fresh date. */
export function signRequest(input: SignRequestInput): SignedHeaders {
  const canonical = canonicalRequest(input.version, {
    date: input.date,
    method: input.method,
    host: input.host,
    path: input.path,
    params: input.params,
    body: input.body ?? '',
  });
  const algorithm = input.version === 'v2-hmac-sha1' ? 'sha1' : 'sha512';
  const authorization = basicAuthorization(input.integrationKey, hmacHex(algorithm, input.secretKey, canonical));
  return input.version === 'v5-x-duo-date' ? { authorization, 'x-duo-date': input.date } : { authorization, date: input.date };
}

const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/**
 * RFC 2822 date in UTC with a `-0000` zone, the form Duo's documentation and reference client use
 * (`Tue, 21 Aug 2012 17:29:18 -0000`).
 */
export function formatDuoDate(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${weekdays[d.getUTCDay()] ?? ''}, ${pad(d.getUTCDate())} ${months[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} -0000`;
}

/**
 * The query string sent on the wire: exactly the canonical parameter string, so the server's
 * re-canonicalisation of the decoded values cannot disagree with what we signed.
 */
export function encodeQuery(params: DuoParams): string {
  return canonicalizeParams(params);
}
