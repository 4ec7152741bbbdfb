import { describe, expect, it } from 'vitest';
import { toHttpError } from '../../../api/http-errors.js';
import { AppError } from '../../../errors/app-error.js';
import type { ErrorCode } from '../../../errors/codes.js';

describe('toHttpError', () => {
  it.each<[ErrorCode, number]>([
    ['VALIDATION_FAILED', 400],
    ['DUO_INVALID_API_HOST', 400],
    ['TENANT_NOT_FOUND', 404],
    ['INTEGRATION_NOT_CONNECTED', 409],
    ['DUO_CREDENTIALS_REJECTED', 422],
    ['DUO_PERMISSION_MISSING', 422],
    ['DUO_UNREACHABLE', 502],
    ['TEMPORAL_UNAVAILABLE', 503],
  ])('answers %s with %i and the lower-case code, message and details, keeping the code as is for the log', (code, status) => {
    const mapped = toHttpError(new AppError(code, 'shown to the caller', { details: { field: 'x' } }), 'req-1');
    expect(mapped).toEqual({
      status,
      code,
      body: { error: { code: code.toLowerCase(), message: 'shown to the caller', details: { field: 'x' } } },
      internal: false,
    });
  });

  it.each<unknown>([
    new AppError('ENCRYPTION_KEY_MISMATCH', 'key id "k1" does not open'),
    new Error('connect ECONNREFUSED 10.0.0.5:5432'),
    'a thrown string',
    undefined,
    { statusCode: 500, code: 'FST_ERR_SOMETHING', message: 'internal' },
  ])('hides anything else behind a generic 500 carrying the request id (%#)', (error) => {
    const mapped = toHttpError(error, 'req-42');
    expect(mapped.status).toBe(500);
    expect(mapped.internal).toBe(true);
    expect(mapped.body.error.code).toBe('internal_error');
    expect(mapped.code).toBe('INTERNAL_ERROR');
    expect(mapped.body.error.details).toEqual({ requestId: 'req-42' });
    expect(JSON.stringify(mapped.body)).not.toMatch(/ECONNREFUSED|k1|internal"/);
  });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'payload_too_large'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'unsupported_media_type'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'malformed_json'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400, 'malformed_json'],
    ['FST_ERR_BAD_URL', 400, 400, 'bad_request'],
  ])('maps Fastify %s to %i', (code, statusCode, status, httpCode) => {
    const mapped = toHttpError(Object.assign(new Error('fastify says'), { code, statusCode }), 'r');
    expect(mapped.status).toBe(status);
    expect(mapped.body.error.code).toBe(httpCode);
    expect(mapped.code).toBe(httpCode.toUpperCase());
  });

  it('lists each invalid field with its location, path and message', () => {
    const error = Object.assign(new Error('body/apiHost bad'), {
      statusCode: 400,
      code: 'FST_ERR_VALIDATION',
      validationContext: 'body',
      validation: [
        { instancePath: '/apiHost', message: 'apiHost must be a Duo API host', keyword: 'invalid_format', params: {} },
        { instancePath: '/', message: 'only a, b are accepted', keyword: 'unrecognized_keys', params: { keys: ['extra', 'other'] } },
      ],
    });
    const mapped = toHttpError(error, 'r');
    expect(mapped.status).toBe(400);
    expect(mapped.body.error.code).toBe('validation_failed');
    expect(mapped.body.error.details.issues).toEqual([
      { location: 'body', path: 'apiHost', message: 'apiHost must be a Duo API host' },
      { location: 'body', path: 'extra', message: 'unknown field "extra": only a, b are accepted' },
      { location: 'body', path: 'other', message: 'unknown field "other": only a, b are accepted' },
    ]);
    expect(mapped.body.error.message).toContain('apiHost must be a Duo API host');
  });
});

describe('toHttpError with hostile error codes', () => {
  it('treats a code naming an inherited property as internal', () => {
    expect(toHttpError(Object.assign(new Error('x'), { code: 'constructor', statusCode: 400 }), 'r').status).toBe(500);
  });
});
