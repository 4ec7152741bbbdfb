import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Duo request signatures, written from Duo's published rules (independently of duo/). The server
 * side re-canonicalises the parameters it decoded, so any wire escaping a client chose is accepted
 * as long as the decoded values are what it signed.
 */

export type SignatureScheme = 'v2-sha1' | 'v2-sha512' | 'v5';
export type Param = readonly [key: string, value: string];

/** Decodes a query string or form body: '+' is a space, %XX are UTF-8 bytes. Undefined if malformed. */
export function parseParams(raw: string): Param[] | undefined {
  const params: Param[] = [];
  if (raw === '') return params;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    try {
      params.push([decodeURIComponent(rawKey.replace(/\+/g, ' ')), decodeURIComponent(rawValue.replace(/\+/g, ' '))]);
    } catch {
      return undefined;
    }
  }
  return params;
}

/** Percent-encodes UTF-8 bytes, leaving only A-Za-z0-9 _ . - ~ as they are, with upper-case hex. */
export function encodeParam(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `k=v&k=v`, encoded, sorted by key and then by value (for repeated keys). */
export function canonicalParams(params: readonly Param[]): string {
  const encoded = params.map(([k, v]) => [encodeParam(k), encodeParam(v)] as const);
  encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

export interface CanonicalInput {
  date: string;
  method: string;
  host: string;
  path: string;
  params: readonly Param[];
}

export function canonicalV2(input: CanonicalInput): string {
  return [input.date, input.method.toUpperCase(), input.host.toLowerCase(), input.path, canonicalParams(input.params)].join('\n');
}

export function sha512Hex(data: string | Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}

/** SHA-512 over `name\0value\0...` of the X-Duo-* headers, names lower-cased and sorted. */
export function xDuoHeadersHash(headers: readonly Param[]): string {
  const duo = headers
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => name.startsWith('x-duo-'))
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return sha512Hex(duo.map(([name, value]) => `${name}\0${value}`).join('\0'));
}

export function canonicalV5(input: CanonicalInput & { body: string | Buffer; headers: readonly Param[] }): string {
  return [canonicalV2(input), sha512Hex(input.body), xDuoHeadersHash(input.headers)].join('\n');
}

export function hmacHex(secret: string, canonical: string, digest: 'sha1' | 'sha512'): string {
  return createHmac(digest, secret).update(canonical, 'utf8').digest('hex');
}

/** Equal-length, case-insensitive, constant-time comparison of two hex strings. */
export function hexEquals(expected: string, given: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface SignedRequest extends CanonicalInput {
  body: string | Buffer;
  headers: readonly Param[];
  signature: string;
}

/** The scheme whose signature matches, if any. The hex length tells SHA-1 from SHA-512. */
export function verifySignature(request: SignedRequest, secret: string): SignatureScheme | undefined {
  if (!/^[0-9a-fA-F]+$/.test(request.signature)) return undefined;
  if (request.signature.length === 40) {
    return hexEquals(hmacHex(secret, canonicalV2(request), 'sha1'), request.signature) ? 'v2-sha1' : undefined;
  }
  if (request.signature.length !== 128) return undefined;
  if (hexEquals(hmacHex(secret, canonicalV2(request), 'sha512'), request.signature)) return 'v2-sha512';
  if (hexEquals(hmacHex(secret, canonicalV5(request), 'sha512'), request.signature)) return 'v5';
  return undefined;
}

/** Builds the Authorization header value (used by the simulator's own scripts). */
export function authorizationHeader(integrationKey: string, signatureHex: string): string {
  return `Basic ${Buffer.from(`${integrationKey}:${signatureHex}`).toString('base64')}`;
}
