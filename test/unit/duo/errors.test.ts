import { describe, expect, it } from 'vitest';
import {
  DuoBadRequestError,
  DuoCredentialsRejectedError,
  DuoMalformedResponseError,
  DuoNotFoundError,
  DuoPermissionMissingError,
  DuoRateLimitedError,
  DuoServerError,
  duoErrorFromResponse,
  parseDuoCode,
  permissionForEndpoint,
} from '../../../duo/errors.js';

function fromResponse(status: number, body: unknown, endpoint = '/admin/v1/users') {
  return duoErrorFromResponse({ status, body, endpoint, rateLimitRetryAfterMs: 60_000 });
}

describe('duoErrorFromResponse', () => {
  it.each([40101, 40102, 40103, 40105])('maps 401 with code %i to credentials rejected', (code) => {
    const error = fromResponse(401, { stat: 'FAIL', code, message: 'Invalid signature in request credentials' });
    expect(error).toBeInstanceOf(DuoCredentialsRejectedError);
    expect(error).toMatchObject({ code: 'DUO_CREDENTIALS_REJECTED', retryable: false, status: 401, duoCode: code });
  });

  it('hints at a missing or invalid integration key on 40101', () => {
    const error = fromResponse(401, { stat: 'FAIL', code: 40101, message: 'Missing request credentials' });
    expect(error.message).toMatch(/integration key is missing or invalid$/);
  });

  it('hints at a wrong integration key or a wrong API host on 40102', () => {
    const error = fromResponse(401, { stat: 'FAIL', code: 40102, message: 'Invalid integration key in request credentials' });
    expect(error.message).toMatch(/does not know this integration key: check the integration key, and that the API host/);
  });

  it("hints at a wrong secret key, then this server's clock, on 40103", () => {
    const error = fromResponse(401, { stat: 'FAIL', code: 40103, message: 'Invalid signature in request credentials' });
    expect(error.message).toMatch(/check the secret key, and this server's clock/);
    expect(error.message).not.toMatch(/integration key/);
  });

  it("hints at this server's clock on 40105", () => {
    const error = fromResponse(401, { stat: 'FAIL', code: 40105, message: 'Bad request timestamp' });
    expect(error.message).toMatch(/request date is outside what Duo accepts: check this server's clock/);
    expect(error.message).not.toMatch(/secret key/);
  });

  it.each([[40199], [null]])('falls back to wrong keys or clock for 401 code %s', (code) => {
    const error = fromResponse(401, code === null ? { stat: 'FAIL' } : { stat: 'FAIL', code });
    expect(error.message).toMatch(/check the integration key and secret key, and that this server's clock is correct$/);
  });

  it('maps 403 on a log endpoint to permission missing naming "Grant read log"', () => {
    const error = fromResponse(403, { stat: 'FAIL', code: 40301, message: 'Access forbidden' }, '/admin/v2/logs/authentication');
    expect(error).toBeInstanceOf(DuoPermissionMissingError);
    expect(error).toMatchObject({ code: 'DUO_PERMISSION_MISSING', permission: 'Grant read log', duoCode: 40301 });
    expect(error.message).toContain('"Grant read log"');
  });

  it('maps 403 on users to permission missing naming "Grant read resource"', () => {
    const error = fromResponse(403, { stat: 'FAIL', code: 40301, message: 'Access forbidden' }, '/admin/v1/users');
    expect(error).toMatchObject({ permission: 'Grant read resource' });
  });

  it('maps 429 to a retryable rate limit carrying the advised delay', () => {
    const error = fromResponse(429, { stat: 'FAIL', code: 42901, message: 'Too Many Requests' });
    expect(error).toBeInstanceOf(DuoRateLimitedError);
    expect(error).toMatchObject({ code: 'DUO_RATE_LIMITED', retryable: true, retryAfterMs: 60_000, duoCode: 42901 });
  });

  it('maps 400 to a non-retryable bad request that includes message_detail', () => {
    const error = fromResponse(400, {
      stat: 'FAIL',
      code: 40002,
      message: 'Invalid request parameters',
      message_detail: 'mintime must be within the past 180 days',
    });
    expect(error).toBeInstanceOf(DuoBadRequestError);
    expect(error).toMatchObject({ retryable: false, messageDetail: 'mintime must be within the past 180 days' });
    expect(error.message).toContain('mintime must be within the past 180 days');
  });

  it('maps 404 to not found', () => {
    expect(fromResponse(404, { stat: 'FAIL', code: 40401, message: 'Resource not found' })).toBeInstanceOf(DuoNotFoundError);
  });

  it.each([500, 502, 503, 504])('maps %i to a retryable server error even without a JSON body', (status) => {
    const error = fromResponse(status, undefined);
    expect(error).toBeInstanceOf(DuoServerError);
    expect(error).toMatchObject({ retryable: true, status, duoCode: null });
  });

  it('maps a redirect to a non-retryable server error', () => {
    const error = fromResponse(302, undefined);
    expect(error).toBeInstanceOf(DuoServerError);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/redirect/);
  });

  it('maps an unexpected 4xx such as 405 to bad request', () => {
    expect(fromResponse(405, { stat: 'FAIL', code: 40501, message: 'Method not allowed' })).toBeInstanceOf(DuoBadRequestError);
  });

  it('maps a 200 carrying stat FAIL by the first three digits of the code', () => {
    expect(fromResponse(200, { stat: 'FAIL', code: 40301, message: 'Access forbidden' })).toBeInstanceOf(DuoPermissionMissingError);
  });

  it('maps a 200 carrying stat FAIL without a code to malformed response', () => {
    expect(fromResponse(200, { stat: 'FAIL', message: 'x' })).toBeInstanceOf(DuoMalformedResponseError);
  });

  it('reads a code sent as a string', () => {
    expect(fromResponse(429, { stat: 'FAIL', code: '42901', message: 'Too Many Requests' }).duoCode).toBe(42901);
  });

  it('keeps the endpoint as the path only', () => {
    expect(fromResponse(500, undefined, '/admin/v1/groups')).toMatchObject({ endpoint: '/admin/v1/groups', details: { endpoint: '/admin/v1/groups' } });
  });

  it('strips control characters from Duo text before it reaches a message', () => {
    const error = fromResponse(400, { stat: 'FAIL', code: 40002, message: 'Invalid\r\nInjected: yes', message_detail: 'a\u0000b' });
    expect(error.message).not.toMatch(/[\r\n\u0000]/);
  });
});

describe('parseDuoCode', () => {
  it.each([
    [42901, 42901],
    ['40103', 40103],
    [' 40103 ', 40103],
    ['forty', null],
    [null, null],
    [undefined, null],
    [401.5, null],
    [{}, null],
  ])('parses %j as %j', (input, expected) => {
    expect(parseDuoCode(input)).toBe(expected);
  });
});

describe('permissionForEndpoint', () => {
  it.each([
    ['/admin/v2/logs/authentication', 'Grant read log'],
    ['/admin/v2/logs/activity', 'Grant read log'],
    ['/admin/v2/logs/telephony', 'Grant read log'],
    ['/admin/v1/logs/administrator', 'Grant read log'],
    ['/admin/v1/users', 'Grant read resource'],
    ['/admin/v1/groups', 'Grant read resource'],
    ['/admin/v1/info/summary', 'Grant read information'],
    ['/admin/v3/integrations', 'Grant applications'],
  ])('needs %s → %s', (endpoint, permission) => {
    expect(permissionForEndpoint(endpoint)).toBe(permission);
  });
});
