import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import type { ErrorCode, RequestErrorCode } from '../errors/codes.js';
import type { ErrorResponse } from './schemas/integration.js';

/**
 * The one mapping from anything thrown while serving a request to an HTTP status and the JSON error
 * body. Only messages below 500 are shown; a 500 says nothing about its cause and carries the
 * request id so an operator can find the logged error.
 *
 * Codes are the canonical ones of errors/codes.ts (as in logs and Temporal); the body's lower-case
 * `error.code`, a published contract, is derived from them here and nowhere else (errorBody).
 */

/** HTTP status of each AppError code the API answers with; any other code is an internal error. */
export const httpStatusByCode: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  DUO_INVALID_API_HOST: 400,
  TENANT_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  INTEGRATION_NOT_CONNECTED: 409,
  DUO_ACCOUNT_CHANGED: 409,
  TENANT_PURGING: 409,
  INITIAL_SYNC_NOT_FAILED: 409,
  DUO_CREDENTIALS_REJECTED: 422,
  DUO_PERMISSION_MISSING: 422,
  DUO_UNREACHABLE: 502,
  DUO_RATE_LIMITED: 503,
  TEMPORAL_UNAVAILABLE: 503,
};

/**
 * A refusal decided in the HTTP layer itself (authorization, rate and export limits, an unknown key
 * id): thrown like any error so the one error handler shapes it, with headers it must carry.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: RequestErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpRefusal';
  }
}

export interface HttpError {
  status: number;
  /** The canonical code: what the log line carries. */
  code: ErrorCode | RequestErrorCode;
  body: ErrorResponse;
  /** Whether the cause must be logged as an error (the body says nothing about it). */
  internal: boolean;
  /** Headers the answer must carry (Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
}

export interface ValidationIssue {
  /** Where the field is: body, params, querystring or headers. */
  location: string;
  /** Dotted path inside that location, e.g. `apiHost`; empty for the whole body. */
  path: string;
  message: string;
}

/** Wraps a payload in the error envelope every answer uses, with the code in its HTTP (lower-case) spelling. */
export function errorBody(code: ErrorCode | RequestErrorCode, message: string, details: Record<string, unknown> = {}): ErrorResponse {
  return { error: { code: code.toLowerCase(), message, details } };
}

// Fastify's own request errors (body parsing, limits) that callers can fix. A Map, so a code such as
// `constructor` cannot hit an inherited property.
const fastifyErrors = new Map<string, { status: number; code: RequestErrorCode; message: string }>([
  ['FST_ERR_CTP_BODY_TOO_LARGE', { status: 413, code: 'PAYLOAD_TOO_LARGE', message: 'Request body is too large' }],
  [
    'FST_ERR_CTP_INVALID_MEDIA_TYPE',
    { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the body as JSON with Content-Type: application/json' },
  ],
  ['FST_ERR_CTP_INVALID_JSON_BODY', { status: 400, code: 'MALFORMED_JSON', message: 'Request body is not valid JSON' }],
  [
    'FST_ERR_CTP_EMPTY_JSON_BODY',
    { status: 400, code: 'MALFORMED_JSON', message: 'Request body is empty but Content-Type is application/json' },
  ],
]);

// The parts of a thrown value the mapping reads; anything else thrown is treated as internal.
const requestErrorSchema = z.object({
  code: z.string().optional().catch(undefined),
  statusCode: z.int().optional().catch(undefined),
  validationContext: z.string().optional().catch(undefined),
  validation: z
    .array(
      z.object({
        instancePath: z.string().catch(''),
        message: z.string().optional().catch(undefined),
        keyword: z.string().optional().catch(undefined),
        params: z.record(z.string(), z.unknown()).optional().catch(undefined),
      }),
    )
    .optional()
    .catch(undefined),
});

const unknownKeysSchema = z.array(z.string()).min(1);

/** Maps a thrown value to the answer. `requestId` goes into a 500's details. */
export function toHttpError(error: unknown, requestId: string): HttpError {
  if (error instanceof HttpRefusal) {
    return { ...refusal(error.status, error.code, error.message, error.details), headers: error.headers };
  }
  if (error instanceof AppError) {
    const status = httpStatusByCode[error.code];
    if (status !== undefined) {
      const answer = refusal(status, error.code, error.message, error.details);
      if (status === 503 && error.retryAfterMs !== undefined) answer.headers = { ...answer.headers, 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) };
      return answer;
    }
    return internalError(requestId);
  }
  const parsed = requestErrorSchema.safeParse(error);
  if (!parsed.success || typeof error !== 'object' || error === null) return internalError(requestId);
  const { code, statusCode, validation, validationContext } = parsed.data;
  if (validation && validation.length > 0) {
    const location = validationContext ?? 'body';
    const issues = validation.flatMap((entry): ValidationIssue[] => {
      const path = entry.instancePath.split('/').filter(Boolean).join('.');
      const message = entry.message ?? 'is invalid';
      // An unknown field is reported on its parent object; name the field itself instead.
      const keys = entry.keyword === 'unrecognized_keys' ? unknownKeysSchema.safeParse(entry.params?.keys) : undefined;
      if (keys?.success) {
        return keys.data.map((key) => {
          const name = key.slice(0, 64);
          return { location, path: [path, name].filter(Boolean).join('.'), message: `unknown field ${JSON.stringify(name)}: ${message}` };
        });
      }
      return [{ location, path, message }];
    });
    return refusal(400, 'VALIDATION_FAILED', describeIssues(issues), { issues });
  }
  const known = code === undefined ? undefined : fastifyErrors.get(code);
  if (known) return refusal(known.status, known.code, known.message);
  // Other client errors raised by Fastify itself (bad URL, prototype poisoning, content length).
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500 && code?.startsWith('FST_')) {
    return refusal(statusCode, 'BAD_REQUEST', 'The request could not be processed');
  }
  return internalError(requestId);
}

/** An answer whose message is meant for the caller (not logged as an error). */
function refusal(status: number, code: ErrorCode | RequestErrorCode, message: string, details: Record<string, unknown> = {}): HttpError {
  return { status, code, body: errorBody(code, message, details), internal: false };
}

function internalError(requestId: string): HttpError {
  return {
    status: 500,
    code: 'INTERNAL_ERROR',
    body: errorBody('INTERNAL_ERROR', 'Something went wrong on our side; quote the request id when reporting it', { requestId }),
    internal: true,
  };
}

/** One sentence naming every field at fault, e.g. `Invalid request: apiHost must be …`. */
function describeIssues(issues: ValidationIssue[]): string {
  const parts = issues.map((issue) => issue.message);
  return `Invalid request: ${[...new Set(parts)].join('; ')}`;
}
