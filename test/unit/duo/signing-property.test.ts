import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalizeParams, canonicalizeV2, percentEncode, signRequest, type DuoParams } from '../../../duo/signing.js';

/*
 * Our signer against Duo's official Node client (`@duosecurity/duo_api`, lib/duo_sig.js), which
 * supports v2 with HMAC-SHA512 (`sign`) and v5 with the Date header (`signV5`).
 *
 * The Node client departs from Duo's documented canonicalisation (and from Duo's reference Python
 * client) in two places, so the properties feed it only inputs where both agree:
 *  1. It sorts keys by their raw UTF-16 code units, not by their encoded form. The two orders differ
 *     when an escaped character sorts after an unreserved one (e.g. "a/" vs "a."): we keep Duo's
 *     encoded-key order and restrict the property to key sets on which both orders coincide.
 *  2. It emits the values of a repeated key in the caller's order; Duo sorts them. We pass the
 *     Node client the values already sorted by their encoded form.
 * Both differences are pinned by example below.
 */

interface NodeDuoSig {
  sign(ikey: string, skey: string, method: string, host: string, path: string, params: NodeParams, date: string): string;
  signV5(ikey: string, skey: string, method: string, host: string, path: string, params: NodeParams, date: string, body: string): string;
  _canonParams(params: NodeParams): string;
  _canonicalize(method: string, host: string, path: string, params: NodeParams, date: string): string;
}
type NodeParams = Record<string, string | string[]>;

function isNodeDuoSig(value: unknown): value is NodeDuoSig {
  if (typeof value !== 'object' || value === null) return false;
  return ['sign', 'signV5', '_canonParams', '_canonicalize'].every((name) => name in value && typeof Reflect.get(value, name) === 'function');
}

const loaded: unknown = createRequire(import.meta.url)('@duosecurity/duo_api/lib/duo_sig.js');
if (!isNodeDuoSig(loaded)) throw new Error('@duosecurity/duo_api/lib/duo_sig.js no longer exports sign, signV5 and _canonParams');
const official = loaded;

const punctuation = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ \t'];
const char = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...punctuation) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ü', '日本', '🔑', 'Ω', '\u0000') },
);
const text = (minLength: number) => fc.array(char, { minLength, maxLength: 8 }).map((parts) => parts.join(''));
const value = text(0);
const params = fc.dictionary(text(1), fc.oneof(value, fc.array(value, { minLength: 1, maxLength: 3 })), { maxKeys: 6, noNullPrototype: true });

const method = fc.constantFrom('GET', 'get', 'POST', 'Delete', 'PUT');
const host = fc
  .tuple(fc.stringMatching(/^[a-zA-Z0-9]{1,10}$/), fc.constantFrom('duosecurity', 'DuoFederal'))
  .map(([id, domain]) => `api-${id}.${domain}.com`);
const path = fc.array(fc.stringMatching(/^[A-Za-z0-9_.~-]{1,8}$/), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`);
const date = fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4102444800000) }).map((d) => d.toUTCString());
const secret = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 });

function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The Node client's key order equals Duo's encoded-key order for these keys. */
function keyOrdersAgree(input: DuoParams): boolean {
  const raw = Object.keys(input).sort(compareUtf16);
  const encoded = [...raw].sort((a, b) => compareUtf16(percentEncode(a), percentEncode(b)));
  return raw.every((key, i) => key === encoded[i]);
}

/** The parameters as Duo orders repeated values, for the Node client. */
function withSortedValues(input: DuoParams): NodeParams {
  const out: NodeParams = {};
  for (const [key, v] of Object.entries(input)) {
    out[key] = typeof v === 'string' ? v : [...v].sort((a, b) => compareUtf16(percentEncode(a), percentEncode(b)));
  }
  return out;
}

describe('signing against the official Node client', () => {
  it('builds the same canonical parameter string', () => {
    fc.assert(
      fc.property(params, (p) => {
        fc.pre(keyOrdersAgree(p));
        expect(canonicalizeParams(p)).toBe(official._canonParams(withSortedValues(p)));
      }),
      { numRuns: 500 },
    );
  });

  it('builds the same v2 canonical request', () => {
    fc.assert(
      fc.property(method, host, path, params, date, (m, h, pth, p, d) => {
        fc.pre(keyOrdersAgree(p));
        expect(canonicalizeV2({ method: m, host: h, path: pth, params: p, date: d })).toBe(official._canonicalize(m, h, pth, withSortedValues(p), d));
      }),
      { numRuns: 300 },
    );
  });

  it('produces the same v2 HMAC-SHA512 Authorization header', () => {
    fc.assert(
      fc.property(secret, method, host, path, params, date, (skey, m, h, pth, p, d) => {
        fc.pre(keyOrdersAgree(p));
        const ours = signRequest({ version: 'v2-hmac-sha512', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKey: skey, method: m, host: h, path: pth, params: p, date: d });
        expect(ours.authorization).toBe(official.sign('DIXXXXXXXXXXXXXXXXXX', skey, m, h, pth, withSortedValues(p), d));
      }),
      { numRuns: 300 },
    );
  });

  it('produces the same v5 Authorization header, body hash included', () => {
    fc.assert(
      fc.property(secret, method, host, path, params, date, fc.string({ unit: 'binary', maxLength: 64 }), (skey, m, h, pth, p, d, body) => {
        fc.pre(keyOrdersAgree(p));
        const ours = signRequest({ version: 'v5', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKey: skey, method: m, host: h, path: pth, params: p, date: d, body });
        expect(ours.authorization).toBe(official.signV5('DIXXXXXXXXXXXXXXXXXX', skey, m, h, pth, withSortedValues(p), d, body));
      }),
      { numRuns: 300 },
    );
  });

  it('differs from the Node client on key order where a raw and an escaped character compare differently', () => {
    const p = { 'a.': '1', 'a/': '2' };
    expect(canonicalizeParams(p)).toBe('a%2F=2&a.=1');
    expect(official._canonParams(p)).toBe('a.=1&a%2F=2');
  });

  it('sorts repeated values where the Node client keeps the caller order', () => {
    const p = { password: ['H-._~i', "A(!'*)"] };
    expect(canonicalizeParams(p)).toBe('password=A%28%21%27%2A%29&password=H-._~i');
    expect(official._canonParams(p)).toBe('password=H-._~i&password=A%28%21%27%2A%29');
  });
});
