import { createRequire } from 'node:module';
import { stringify } from 'node:querystring';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authorizationHeader,
  canonicalParams,
  canonicalV2,
  canonicalV5,
  hexEquals,
  hmacHex,
  parseParams,
  sha512Hex,
  verifySignature,
  type Param,
} from '../../../simulator/signature.js';

// Published vectors from Duo's official client test suites.
const DOC_IKEY = 'DIWJ8X6AEYOR5OMC6TQ1';
const DOC_SKEY = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';
const DOC_HOST = 'api-XXXXXXXX.duosecurity.com';
const DOC_DATE = 'Tue, 21 Aug 2012 17:29:18 -0000';
const DOC_PARAMS: Param[] = [
  ['realname', 'First Last'],
  ['username', 'root'],
];
const EMPTY_SHA512 =
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

interface OfficialSigner {
  sign(ikey: string, skey: string, method: string, host: string, path: string, params: Record<string, string>, date: string): string;
  signV5(ikey: string, skey: string, method: string, host: string, path: string, params: Record<string, string>, date: string, body: string): string;
}

function loadOfficialSigner(): OfficialSigner {
  const loaded: unknown = createRequire(import.meta.url)('@duosecurity/duo_api/lib/duo_sig.js');
  if (typeof loaded !== 'object' || loaded === null || !('sign' in loaded) || !('signV5' in loaded)) {
    throw new Error('unexpected shape of @duosecurity/duo_api/lib/duo_sig.js');
  }
  // The package ships no types: checked by shape above, typed by the interface we call.
  return loaded as OfficialSigner;
}

function signatureOf(authorization: string): { ikey: string; signature: string } {
  const decoded = Buffer.from(authorization.replace(/^Basic /, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { ikey: decoded.slice(0, colon), signature: decoded.slice(colon + 1) };
}

describe('canonicalParams', () => {
  it('encodes spaces as %20 and sorts by key', () => {
    expect(canonicalParams(DOC_PARAMS)).toBe('realname=First%20Last&username=root');
  });

  it('sorts a key before a longer key it prefixes', () => {
    expect(canonicalParams([['foo_bar', '2'], ['foo', '1']])).toBe('foo=1&foo_bar=2');
  });

  it('leaves only A-Za-z0-9_.-~ unescaped, with upper-case hex', () => {
    expect(canonicalParams([['data', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~']])).toBe(
      'data=%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~',
    );
  });

  it('sorts repeated keys by value', () => {
    expect(canonicalParams([['username', 'H ell?o'], ['password', 'H-._~i'], ['password', "A(!'*)"]])).toBe(
      'password=A%28%21%27%2A%29&password=H-._~i&username=H%20ell%3Fo',
    );
  });

  it('encodes unicode as UTF-8 bytes', () => {
    expect(canonicalParams([['name', 'Zoë ☃']])).toBe('name=Zo%C3%AB%20%E2%98%83');
  });
});

describe('parseParams', () => {
  it('decodes + and %20 as spaces', () => {
    expect(parseParams('realname=First+Last&x=a%20b')).toEqual([['realname', 'First Last'], ['x', 'a b']]);
  });

  it('keeps repeated keys in wire order', () => {
    expect(parseParams('next_offset=1&next_offset=abc')).toEqual([['next_offset', '1'], ['next_offset', 'abc']]);
  });

  it('refuses malformed percent-encoding', () => {
    expect(parseParams('a=%E2%98')).toBeUndefined();
  });
});

describe('signature vectors', () => {
  const canonical = canonicalV2({ date: DOC_DATE, method: 'POST', host: DOC_HOST, path: '/accounts/v1/account/list', params: DOC_PARAMS });

  it('builds the documented v2 canonical string with a lower-cased host', () => {
    expect(canonical).toBe(
      'Tue, 21 Aug 2012 17:29:18 -0000\nPOST\napi-xxxxxxxx.duosecurity.com\n/accounts/v1/account/list\nrealname=First%20Last&username=root',
    );
  });

  it('matches the v2 HMAC-SHA512 vector', () => {
    expect(authorizationHeader(DOC_IKEY, hmacHex(DOC_SKEY, canonical, 'sha512'))).toBe(
      'Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MWJmZmI4OTI0MzQ4ZjdkYjdkYTllN2Q3ZDc0OWRlZDkzYWFmZDAyZDhlOTA0OTYwZGE3Yjk2YzU3NTEwMjIwMTg1YTY0YTI4MjdlZThmMjRhYzVkMzA4MDJhOWVlOTdlNTlkZTQ0YjMwNGIxODI0MmYwZDU5NmQxNWE4MTIyYWY=',
    );
  });

  it('matches the v2 HMAC-SHA1 vector', () => {
    expect(hmacHex(DOC_SKEY, canonical, 'sha1')).toBe('2d97d6166319781b5a3a07af39d366f491234edc');
  });

  it('matches the v5 vector with a Date header and a JSON body', () => {
    const v5 = canonicalV5({
      date: DOC_DATE,
      method: 'POST',
      host: DOC_HOST,
      path: '/accounts/v1/account/list',
      params: [['realname', 'First Last']],
      body: '{"txid":"f22b1678-252a-4070-b176-0ca2be7319fd"}',
      headers: [],
    });
    expect(authorizationHeader(DOC_IKEY, hmacHex(DOC_SKEY, v5, 'sha512'))).toBe(
      'Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6NzhmNDMyN2Y4MzExNzNjYzc4ZDA5MDdlOTEzZTNjNWEyOGZlNzJkZDQ1NDVhMzQyNTg2YmI2NzE4MWYyYmEzOTNkMjA5MTFlODcwMzYyZjZmYWJhM2RjNmY3ZTlkYjVlOTNhZWQyZjNiZmMxMTBjNmRhZGFmZjRkYzYxNzllMGI=',
    );
  });

  it('matches the v5 vector with X-Duo-Date in the header hash', () => {
    const date = 'Fri, 24 May 2024 12:00:00 -0000';
    const v5 = canonicalV5({
      date,
      method: 'GET',
      host: 'api-xxxxxxxx.duosecurity.com',
      path: '/api/path',
      params: [],
      body: '',
      headers: [['X-Duo-Date', date], ['User-Agent', 'ignored']],
    });
    expect(v5.split('\n').slice(5)).toEqual([
      EMPTY_SHA512,
      'fa03691e132cfedf936dc9f9b86f7183697dd258d380fc55e3a91567a6cb4dac2ef24cac5df934ff39cd9fba99b3ed180a8a5cf234c27832b1c5660db2a9c15d',
    ]);
    expect(authorizationHeader('DIABCDEFGHIJKLMNOPQR', hmacHex('testtesttesttesttesttesttesttesttesttest', v5, 'sha512'))).toBe(
      'Basic RElBQkNERUZHSElKS0xNTk9QUVI6YzQ1NDYzOWQ3NWI0ZTNkOTliOGIxZDVlNDFjZDdiYjJkMmQ4YmE1NWY2ODExZjc4NmRmYjBlZGQ0ZmFjZDJmM2E1ZTZkNmM4MzdmMzFmNjgyNjcwNjMyNWI0ZWQ3ZGNkYzVmMTExNjQ5NDhlNTdhNzAzMmE1MjQ5OTBlMDE1ODM=',
    );
  });

  it('hashes an empty body to the SHA-512 of ""', () => {
    expect(sha512Hex('')).toBe(EMPTY_SHA512);
  });
});

describe('verifySignature', () => {
  const request = { date: DOC_DATE, method: 'GET', host: DOC_HOST, path: '/admin/v1/users', params: DOC_PARAMS, body: '', headers: [] };

  it('recognises each scheme by what matches', () => {
    const sha1 = hmacHex(DOC_SKEY, canonicalV2(request), 'sha1');
    const sha512 = hmacHex(DOC_SKEY, canonicalV2(request), 'sha512');
    const v5 = hmacHex(DOC_SKEY, canonicalV5(request), 'sha512');
    expect(verifySignature({ ...request, signature: sha1 }, DOC_SKEY)).toBe('v2-sha1');
    expect(verifySignature({ ...request, signature: sha512 }, DOC_SKEY)).toBe('v2-sha512');
    expect(verifySignature({ ...request, signature: v5 }, DOC_SKEY)).toBe('v5');
  });

  it('accepts upper-case hex', () => {
    const signature = hmacHex(DOC_SKEY, canonicalV2(request), 'sha512').toUpperCase();
    expect(verifySignature({ ...request, signature }, DOC_SKEY)).toBe('v2-sha512');
  });

  it('rejects a signature made with another secret', () => {
    const signature = hmacHex('another-secret-of-forty-characters-000000', canonicalV2(request), 'sha512');
    expect(verifySignature({ ...request, signature }, DOC_SKEY)).toBeUndefined();
  });

  it('rejects a signature over a host that is not the account host', () => {
    const signature = hmacHex(DOC_SKEY, canonicalV2({ ...request, host: '127.0.0.1:9100' }), 'sha512');
    expect(verifySignature({ ...request, signature }, DOC_SKEY)).toBeUndefined();
  });

  it('rejects non-hex and wrong-length signatures', () => {
    expect(verifySignature({ ...request, signature: 'zz' }, DOC_SKEY)).toBeUndefined();
    expect(verifySignature({ ...request, signature: 'ab'.repeat(32) }, DOC_SKEY)).toBeUndefined();
  });
});

describe('hexEquals', () => {
  it('ignores case and refuses different lengths', () => {
    expect(hexEquals('abcdef', 'ABCDEF')).toBe(true);
    expect(hexEquals('abcdef', 'abcde')).toBe(false);
  });
});

describe('the official Node signer', () => {
  const official = loadOfficialSigner();
  // Parameter names are ASCII identifiers (the official Node client sorts raw names, Duo encoded
  // ones; the two agree for such names). Values are anything.
  const params = fc.dictionary(
    fc.stringMatching(/^[a-z][a-z_]{0,11}$/),
    fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: fc.constantFrom(...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ '), maxLength: 10 })),
    { maxKeys: 6 },
  );

  it('produces v2 signatures the simulator accepts for the query it sends', () => {
    fc.assert(
      fc.property(params, fc.string({ minLength: 1, maxLength: 40 }), (values, secret) => {
        const date = new Date().toUTCString();
        const authorization = official.sign('DIABCDEFGHIJKLMNOPQR', secret, 'GET', DOC_HOST, '/admin/v1/users', values, date);
        const wire = parseParams(stringify(values));
        expect(wire).toBeDefined();
        const signed = { date, method: 'GET', host: DOC_HOST, path: '/admin/v1/users', params: wire ?? [], body: '', headers: [] };
        expect(verifySignature({ ...signed, signature: signatureOf(authorization).signature }, secret)).toBe('v2-sha512');
      }),
    );
  });

  it('produces v5 signatures the simulator accepts for the query it sends', () => {
    fc.assert(
      fc.property(params, (values) => {
        const date = new Date().toUTCString();
        const authorization = official.signV5('DIABCDEFGHIJKLMNOPQR', DOC_SKEY, 'GET', DOC_HOST, '/admin/v2/logs/authentication', values, date, '');
        const signed = { date, method: 'GET', host: DOC_HOST, path: '/admin/v2/logs/authentication', params: parseParams(stringify(values)) ?? [], body: '', headers: [] };
        expect(verifySignature({ ...signed, signature: signatureOf(authorization).signature }, DOC_SKEY)).toBe('v5');
      }),
    );
  });
});
