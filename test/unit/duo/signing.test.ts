import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIGNATURE_VERSION,
  canonicalRequest,
  canonicalizeParams,
  canonicalizeV2,
  canonicalizeV5,
  formatDuoDate,
  hmacHex,
  percentEncode,
  sha512Hex,
  signRequest,
} from '../../../duo/signing.js';

// Test vectors published in Duo's official client test suites (Go, Python, Node, duo_hmac_python).
const docsKeys = { integrationKey: 'DIWJ8X6AEYOR5OMC6TQ1', secretKey: 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep' };
const docsDate = 'Tue, 21 Aug 2012 17:29:18 -0000';
const accountList = { method: 'POST', host: 'api-XXXXXXXX.duosecurity.com', path: '/accounts/v1/account/list', date: docsDate };
const emptyHash =
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';

// The unicode fuzz parameters of duo_client_python's canonicalisation and signing tests.
const unicodeParams = {
  '\u469a\u287b\u35d0\u8ef3\u6727\u502a\u0810\ud091\xc8\uc170': ['\u0f45\u1a76\u341a\u654c\uc23f\u9b09\uabe2\u8343\u1b27\u60d0'],
  '\u7449\u7e4b\uccfb\u59ff\ufe5f\u83b7\uadcc\u900c\ucfd1\u7813': ['\u8db7\u5022\u92d3\u42ef\u207d\u8730\uacfe\u5617\u0946\u4e30'],
  '\u7470\u9314\u901c\u9eae\u40d8\u4201\u82d8\u8c70\u1d31\ua042': ['\u17d9\u0ba8\u9358\uaadf\ua42a\u48be\ufb96\u6fe9\ub7ff\u32f3'],
  '\uc2c5\u2c1d\u2620\u3617\u96b3F\u8605\u20e8\uac21\u5934': ['\ufba9\u41aa\ubd83\u840b\u2615\u3e6e\u652d\ua8b5\ud56bU'],
};
const unicodeCanonicalParams =
  '%E4%9A%9A%E2%A1%BB%E3%97%90%E8%BB%B3%E6%9C%A7%E5%80%AA%E0%A0%90%ED%82%91%C3%88%EC%85%B0=%E0%BD%85%E1%A9%B6%E3%90%9A%E6%95%8C%EC%88%BF%E9%AC%89%EA%AF%A2%E8%8D%83%E1%AC%A7%E6%83%90&%E7%91%89%E7%B9%8B%EC%B3%BB%E5%A7%BF%EF%B9%9F%E8%8E%B7%EA%B7%8C%E9%80%8C%EC%BF%91%E7%A0%93=%E8%B6%B7%E5%80%A2%E9%8B%93%E4%8B%AF%E2%81%BD%E8%9C%B0%EA%B3%BE%E5%98%97%E0%A5%86%E4%B8%B0&%E7%91%B0%E9%8C%94%E9%80%9C%E9%BA%AE%E4%83%98%E4%88%81%E8%8B%98%E8%B1%B0%E1%B4%B1%EA%81%82=%E1%9F%99%E0%AE%A8%E9%8D%98%EA%AB%9F%EA%90%AA%E4%A2%BE%EF%AE%96%E6%BF%A9%EB%9F%BF%E3%8B%B3&%EC%8B%85%E2%B0%9D%E2%98%A0%E3%98%97%E9%9A%B3F%E8%98%85%E2%83%A8%EA%B0%A1%E5%A4%B4=%EF%AE%A9%E4%86%AA%EB%B6%83%E8%90%8B%E2%98%95%E3%B9%AE%E6%94%AD%EA%A2%B5%ED%95%ABU';
const unicodeRequest = { date: 'Fri, 07 Dec 2012 17:18:00 -0000', method: 'PoSt', host: 'foO.BAr52.cOm', path: '/Foo/BaR2/qux', params: unicodeParams };

function basic(ikey: string, hex: string): string {
  return `Basic ${Buffer.from(`${ikey}:${hex}`).toString('base64')}`;
}

describe('canonicalizeParams', () => {
  it('encodes a space as %20 and sorts keys', () => {
    expect(canonicalizeParams({ username: 'root', realname: 'First Last' })).toBe('realname=First%20Last&username=root');
  });

  it('sorts a key before a longer key it prefixes', () => {
    expect(canonicalizeParams({ foo_bar: '2', foo: '1' })).toBe('foo=1&foo_bar=2');
  });

  it('leaves only A-Za-z0-9_.-~ unescaped and uses upper-case hex for punctuation', () => {
    expect(canonicalizeParams({ punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~' })).toBe(
      'punctuation=%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~',
    );
  });

  it('leaves letters and digits unescaped and escapes whitespace', () => {
    expect(
      canonicalizeParams({
        digits: '0123456789',
        letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
        whitespace: '\t\n\x0b\x0c\r ',
      }),
    ).toBe('digits=0123456789&letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ&whitespace=%09%0A%0B%0C%0D%20');
  });

  it('sorts the values of a repeated key by their encoded form', () => {
    expect(canonicalizeParams({ password: ['H-._~i', "A(!'*)"], username: 'H ell?o' })).toBe(
      'password=A%28%21%27%2A%29&password=H-._~i&username=H%20ell%3Fo',
    );
  });

  it('percent-encodes the UTF-8 bytes of unicode keys and values', () => {
    expect(canonicalizeParams(unicodeParams)).toBe(unicodeCanonicalParams);
  });

  it('gives an empty string without parameters', () => {
    expect(canonicalizeParams({})).toBe('');
  });

  it('keeps an empty value as key=', () => {
    expect(canonicalizeParams({ b: '', a: 'x' })).toBe('a=x&b=');
  });
});

describe('percentEncode', () => {
  it('encodes a lone surrogate as the replacement character', () => {
    expect(percentEncode('\ud800')).toBe('%EF%BF%BD');
  });
});

describe('canonicalizeV2', () => {
  it('lower-cases the host, upper-cases the method and keeps the path as is', () => {
    expect(canonicalizeV2(unicodeRequest)).toBe(`Fri, 07 Dec 2012 17:18:00 -0000\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n${unicodeCanonicalParams}`);
  });

  it('builds the five documented lines for the account-list example', () => {
    expect(canonicalizeV2({ ...accountList, params: { realname: 'First Last', username: 'root' } })).toBe(
      'Tue, 21 Aug 2012 17:29:18 -0000\nPOST\napi-xxxxxxxx.duosecurity.com\n/accounts/v1/account/list\nrealname=First%20Last&username=root',
    );
  });
});

describe('signature v2', () => {
  it('matches the HMAC-SHA512 vector of the Go client', () => {
    const headers = signRequest({ ...docsKeys, ...accountList, version: 'v2-hmac-sha512', params: { realname: 'First Last', username: 'root' } });
    expect(headers.authorization).toBe(
      'Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MWJmZmI4OTI0MzQ4ZjdkYjdkYTllN2Q3ZDc0OWRlZDkzYWFmZDAyZDhlOTA0OTYwZGE3Yjk2YzU3NTEwMjIwMTg1YTY0YTI4MjdlZThmMjRhYzVkMzA4MDJhOWVlOTdlNTlkZTQ0YjMwNGIxODI0MmYwZDU5NmQxNWE4MTIyYWY=',
    );
  });

  it('matches the HMAC-SHA1 value of the same canonical request', () => {
    const headers = signRequest({ ...docsKeys, ...accountList, version: 'v2-hmac-sha1', params: { realname: 'First Last', username: 'root' } });
    expect(headers.authorization).toBe(basic(docsKeys.integrationKey, '2d97d6166319781b5a3a07af39d366f491234edc'));
  });

  it('matches the HMAC-SHA1 unicode vector of the Python client', () => {
    const headers = signRequest({ integrationKey: 'test_ikey', secretKey: 'gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT', version: 'v2-hmac-sha1', ...unicodeRequest });
    expect(headers.authorization).toBe(basic('test_ikey', 'f01811cbbf9561623ab45b893096267fd46a5178'));
  });

  it('matches the HMAC-SHA512 unicode vector of the Python client', () => {
    const headers = signRequest({ integrationKey: 'test_ikey', secretKey: 'gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT', version: 'v2-hmac-sha512', ...unicodeRequest });
    expect(headers.authorization).toBe(
      basic(
        'test_ikey',
        '0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698',
      ),
    );
  });

  it('matches the v2 vector of the Node client', () => {
    const headers = signRequest({
      integrationKey: 'test_ikey',
      secretKey: 'test_skey',
      version: 'v2-hmac-sha512',
      method: 'POST',
      host: 'test.duosecurity.com',
      path: '/test/v1',
      date: docsDate,
      params: { realname: 'First Last', username: 'root' },
    });
    expect(headers.authorization).toBe(
      'Basic dGVzdF9pa2V5OjA0MmEzMGM2ODJiZDgzNmZjNWJhNDY3ODkxYTk1NmVhYTEwMDkxY2EwZjczYTdmYjM5NmFlZmQ1NmEzNTI5ZTU2OTMyZGVhNDI3YTY3MjEzYWY2NjRiYTY4NDE2ODlmZjIzMzZiN2EzNzM3NjZlYTVhYjdhYjlmZTI2MzgyMjZi',
    );
  });

  it('reproduces the Admin API docs example only with the host left upper-case, so the host is lower-cased', () => {
    const canonical = canonicalizeV2({ ...accountList, path: '/admin/v1/users', params: { realname: 'First Last', username: 'root' } });
    expect(hmacHex('sha1', docsKeys.secretKey, canonical)).toBe('c1ef43767c3eb3b3258dbddca6f8d0941e085b92');
    expect(hmacHex('sha1', docsKeys.secretKey, canonical.replace('api-xxxxxxxx', 'api-XXXXXXXX'))).toBe(
      '65aebaefa40c9f21b56f3aa1175d17dc87b5d385',
    );
  });

  it('sends the date in the Date header', () => {
    const headers = signRequest({ ...docsKeys, ...accountList, version: 'v2-hmac-sha512', params: {} });
    expect(headers).toEqual({ authorization: expect.any(String), date: docsDate });
  });
});

describe('signature v5', () => {
  const txidBody = '{"txid":"f22b1678-252a-4070-b176-0ca2be7319fd"}';

  it('hashes the body and an empty header block into lines 6 and 7', () => {
    const canonical = canonicalRequest('v5', { ...accountList, params: { realname: 'First Last' }, body: txidBody });
    expect(canonical.split('\n').slice(5)).toEqual([
      '09a21b07c82c674c76e4560a5965c9bf02295015adc7317160b906ec0cf8fed95d181fb532cc3bffb9e558f928ed3cd58d49ad6df1af7f3f8edc3b23c37a2085',
      emptyHash,
    ]);
  });

  it('matches the Date-header vector of the Go client', () => {
    const headers = signRequest({ ...docsKeys, ...accountList, version: 'v5', params: { realname: 'First Last' }, body: txidBody });
    expect(headers).toEqual({
      authorization:
        'Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6NzhmNDMyN2Y4MzExNzNjYzc4ZDA5MDdlOTEzZTNjNWEyOGZlNzJkZDQ1NDVhMzQyNTg2YmI2NzE4MWYyYmEzOTNkMjA5MTFlODcwMzYyZjZmYWJhM2RjNmY3ZTlkYjVlOTNhZWQyZjNiZmMxMTBjNmRhZGFmZjRkYzYxNzllMGI=',
      date: docsDate,
    });
  });

  it('matches the v5 vector of the Node client', () => {
    const headers = signRequest({
      integrationKey: 'test_ikey',
      secretKey: 'test_skey',
      version: 'v5',
      method: 'POST',
      host: 'test.duosecurity.com',
      path: '/test/v1',
      date: docsDate,
      params: {},
      body: '{"realname":"First Last","username":"root"}',
    });
    expect(headers.authorization).toBe(
      'Basic dGVzdF9pa2V5OjdkMDI0MDlhMTUyNzY0ODQzY2NjZDgyODRkYTE1M2IzZmI0NDZiYWFkNWY5OTg4ODYzMjVlMjRiYzljZDRhMjQ0ZGU4NWFkNGJmYTdlYTI4NWQ2ODIwOWYxNjA4MzU2NzNkOGI0ZjFlMWIyM2Q5Y2Q1MjFkMjZiZmU3ZjM2NmE0',
    );
  });

  it('puts X-Duo-Date into the header hash in the X-Duo-Date variant', () => {
    const request = { method: 'GET', host: 'api-xxxxxxxx.duosecurity.com', path: '/api/path', date: 'Fri, 24 May 2024 12:00:00 -0000', params: {} };
    expect(canonicalRequest('v5-x-duo-date', request)).toBe(
      `Fri, 24 May 2024 12:00:00 -0000\nGET\napi-xxxxxxxx.duosecurity.com\n/api/path\n\n${emptyHash}\n` +
        'fa03691e132cfedf936dc9f9b86f7183697dd258d380fc55e3a91567a6cb4dac2ef24cac5df934ff39cd9fba99b3ed180a8a5cf234c27832b1c5660db2a9c15d',
    );
  });

  it('matches the X-Duo-Date vector of duo_hmac_python and sends X-Duo-Date instead of Date', () => {
    const headers = signRequest({
      integrationKey: 'DIABCDEFGHIJKLMNOPQR',
      secretKey: 'testtesttesttesttesttesttesttesttesttest',
      version: 'v5-x-duo-date',
      method: 'GET',
      host: 'api-xxxxxxxx.duosecurity.com',
      path: '/api/path',
      date: 'Fri, 24 May 2024 12:00:00 -0000',
      params: {},
    });
    expect(headers).toEqual({
      authorization:
        'Basic RElBQkNERUZHSElKS0xNTk9QUVI6YzQ1NDYzOWQ3NWI0ZTNkOTliOGIxZDVlNDFjZDdiYjJkMmQ4YmE1NWY2ODExZjc4NmRmYjBlZGQ0ZmFjZDJmM2E1ZTZkNmM4MzdmMzFmNjgyNjcwNjMyNWI0ZWQ3ZGNkYzVmMTExNjQ5NDhlNTdhNzAzMmE1MjQ5OTBlMDE1ODM=',
      'x-duo-date': 'Fri, 24 May 2024 12:00:00 -0000',
    });
  });

  it('hashes one X-Duo header as the Python client does', () => {
    const body = '{"alpha":["a","b","c","d"],"data":"abc123","info":{"another":2,"test":1}}';
    const canonical = canonicalizeV5({
      date: 'Tue, 17 Nov 2020 14:12:00',
      method: 'POST',
      host: 'foO.BaR52.cOm',
      path: '/Foo/BaR2/qux',
      params: {},
      body,
      xDuoHeaders: { 'X-Duo-Header-1': 'header_value_1' },
    });
    expect(canonical).toBe(
      `Tue, 17 Nov 2020 14:12:00\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n\n${sha512Hex(body)}\n` +
        '630b4bfe7e9abd03da2eee8f0a5d4e60a254ec880a839bcc2223bb5b9443e8ef24d58f0254f1f5934bf8c017ebd0fd5b1acf86766bdbe74185e712a4092df3ed',
    );
  });

  it('lower-cases and then sorts X-Duo header names', () => {
    const canonical = canonicalizeV5({
      date: 'Tue, 17 Nov 2020 14:12:00',
      method: 'POST',
      host: 'foo.bar52.com',
      path: '/Foo/BaR2/qux',
      params: {},
      body: '',
      xDuoHeaders: { 'x-duo-A': 'header_value_1', 'X-Duo-B': 'header_value_2' },
    });
    expect(canonical.split('\n')[6]).toBe(
      '60be11a30e0756f2ee2afdce1db849b987dcf86c1133394bd7bbbc9877920330c4d78aceacbb377ab8cbd9a8efe6a410fed4047376635ac71226ab46ca10d2b1',
    );
  });

  it('refuses duplicate X-Duo header names that differ only in case', () => {
    expect(() =>
      canonicalizeV5({ date: 'd', method: 'GET', host: 'h', path: '/', params: {}, xDuoHeaders: { 'X-Duo-A': '1', 'x-duo-a': '2' } }),
    ).toThrow(/Duplicate/);
  });

  it('is the default scheme', () => {
    expect(DEFAULT_SIGNATURE_VERSION).toBe('v5');
  });
});

describe('formatDuoDate', () => {
  it('formats RFC 2822 in UTC with a -0000 zone', () => {
    expect(formatDuoDate(Date.UTC(2012, 7, 21, 17, 29, 18))).toBe(docsDate);
  });

  it('pads single-digit days and hours', () => {
    expect(formatDuoDate(Date.UTC(2024, 4, 3, 4, 5, 6))).toBe('Fri, 03 May 2024 04:05:06 -0000');
  });
});
