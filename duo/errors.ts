import { z } from 'zod';
import { AppError, type AppErrorOptions } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/codes.js';

/** Duo Admin API permissions, as the Admin Panel names them: two the sync needs, two it uses when granted. */
export type DuoPermission = 'Grant read log' | 'Grant read resource' | 'Grant read information' | 'Grant applications';

/** Where a failure happened: HTTP status (0 when no response), Duo's numeric code and the path. */
export interface DuoErrorContext {
  status: number;
  duoCode: number | null;
  /** Path only, never the query string. */
  endpoint: string;
}

/**
 * Base of every Duo client error. Messages and details name the endpoint and Duo's code but never
 * the secret key, a signature, the Date header or a response body.
 */
export abstract class DuoError extends AppError {
  readonly status: number;
  readonly duoCode: number | null;
  readonly endpoint: string;

  protected constructor(code: ErrorCode, message: string, context: DuoErrorContext, options: AppErrorOptions = {}) {
    super(code, message, {
      ...options,
      details: { status: context.status, duoCode: context.duoCode, endpoint: context.endpoint, ...options.details },
    });
    this.status = context.status;
    this.duoCode = context.duoCode;
    this.endpoint = context.endpoint;
  }
}

/** What to check for each 401 code; any other code gets the generic hint. */
const credentialHints: Readonly<Record<number, string>> = {
  40101: 'Duo found no usable credentials in the request: the integration key is missing or invalid',
  40102: 'Duo does not know this integration key: check the integration key, and that the API host is the one shown beside it',
  40103: 'the signature did not match: check the secret key, and this server\'s clock (Duo answers 40103 for a stale date too)',
  40105: 'the request date is outside what Duo accepts: check this server\'s clock (NTP)',
};
const genericCredentialHint = 'check the integration key and secret key, and that this server\'s clock is correct';

/** The hint for a 401 code: wrong keys or clock in general, the likeliest of them when the code says. */
export function credentialHint(duoCode: number | null): string {
  return (duoCode === null ? undefined : credentialHints[duoCode]) ?? genericCredentialHint;
}

/** 401: wrong integration key, wrong secret key, or a clock too far from Duo's. Reconnect needed. */
export class DuoCredentialsRejectedError extends DuoError {
  constructor(context: DuoErrorContext, duoMessage?: string) {
    const hint = credentialHint(context.duoCode);
    super(
      'DUO_CREDENTIALS_REJECTED',
      `Duo rejected the credentials on ${context.endpoint}${describeDuo(context.duoCode, duoMessage)}: ${hint}`,
      context,
    );
  }
}

/** 403: the Admin API application lacks the permission the endpoint needs. */
export class DuoPermissionMissingError extends DuoError {
  readonly permission: DuoPermission;

  constructor(context: DuoErrorContext, duoMessage?: string) {
    const permission = permissionForEndpoint(context.endpoint);
    super(
      'DUO_PERMISSION_MISSING',
      `Duo refused ${context.endpoint}${describeDuo(context.duoCode, duoMessage)}: ` +
        `enable "${permission}" on the Admin API application in the Duo Admin Panel`,
      context,
      { details: { permission } },
    );
    this.permission = permission;
  }
}

/** 429: wait `retryAfterMs` (Duo sends no Retry-After, so the caller's policy chooses it). */
export class DuoRateLimitedError extends DuoError {
  constructor(context: DuoErrorContext, retryAfterMs: number) {
    super('DUO_RATE_LIMITED', `Duo rate-limited ${context.endpoint}`, context, { retryable: true, retryAfterMs });
  }
}

/** 400 and other refusals of the request itself: our bug, never retried. */
export class DuoBadRequestError extends DuoError {
  readonly messageDetail: string | null;

  constructor(context: DuoErrorContext, duoMessage?: string, messageDetail?: string) {
    const detail = messageDetail === undefined ? null : sanitizeDuoText(messageDetail);
    super(
      'DUO_BAD_REQUEST',
      `Duo refused the request to ${context.endpoint}${describeDuo(context.duoCode, duoMessage)}${detail ? ` (${detail})` : ''}`,
      context,
      { details: { messageDetail: detail } },
    );
    this.messageDetail = detail;
  }
}

/** 404. */
export class DuoNotFoundError extends DuoError {
  constructor(context: DuoErrorContext, duoMessage?: string) {
    super('DUO_NOT_FOUND', `Duo found nothing at ${context.endpoint}${describeDuo(context.duoCode, duoMessage)}`, context);
  }
}

/** 5xx, or a status the client never expects (a redirect, which it does not follow). */
export class DuoServerError extends DuoError {
  constructor(context: DuoErrorContext, duoMessage?: string, options: { retryable?: boolean; reason?: string } = {}) {
    const reason = options.reason ?? `HTTP ${context.status}`;
    super(
      'DUO_SERVER_ERROR',
      `Duo failed on ${context.endpoint} (${reason})${describeDuo(context.duoCode, duoMessage)}`,
      context,
      options.retryable === undefined ? {} : { retryable: options.retryable },
    );
  }
}

/** Why no usable response arrived. */
export type DuoNetworkFailure = 'reset' | 'timeout' | 'dns' | 'refused' | 'tls' | 'other';

/** No (complete) response: connection reset, timeout, DNS or TLS failure. Retryable. */
export class DuoNetworkError extends DuoError {
  readonly failure: DuoNetworkFailure;

  constructor(endpoint: string, failure: DuoNetworkFailure, cause?: unknown) {
    super('DUO_NETWORK_ERROR', `Network failure calling Duo ${endpoint} (${failure})`, { status: 0, duoCode: null, endpoint }, {
      cause,
      details: { failure },
    });
    this.failure = failure;
  }
}

/** What was wrong with the certificate Duo's address presented. */
export type DuoTlsProblem = 'untrusted_certificate' | 'hostname_mismatch' | 'expired_certificate' | 'certificate_not_yet_valid';

const tlsHints: Readonly<Record<DuoTlsProblem, string>> = {
  untrusted_certificate:
    'the certificate is not signed by an authority this server trusts: a proxy is intercepting TLS, or (tests only) DUO_TEST_CA_FILE does not name the CA',
  hostname_mismatch: 'the certificate does not name the API host: something other than Duo answered at that address',
  expired_certificate: 'the certificate has expired: something other than Duo answered, or this server\'s clock is wrong',
  certificate_not_yet_valid: 'the certificate is not valid yet: check this server\'s clock',
};

/**
 * The TLS certificate check failed: not transient (the same certificate comes back on every retry)
 * and possibly an interception, so it is not retried and asks for a person. Names the problem and
 * the TLS code, never the certificate or the peer's text.
 */
export class DuoTlsError extends DuoError {
  readonly problem: DuoTlsProblem;

  constructor(endpoint: string, problem: DuoTlsProblem, tlsCode: string) {
    super('DUO_TLS_ERROR', `TLS certificate check failed calling Duo ${endpoint} (${problem}): ${tlsHints[problem]}`, { status: 0, duoCode: null, endpoint }, {
      details: { problem, tlsCode },
    });
    this.problem = problem;
  }
}

/** A response we cannot use: not JSON, too large, or not the documented shape. Names where, never the body. */
export class DuoMalformedResponseError extends DuoError {
  readonly issuePath: string | null;

  constructor(context: DuoErrorContext, problem: string, issuePath: string | null = null) {
    super(
      'DUO_MALFORMED_RESPONSE',
      `Unexpected response from Duo ${context.endpoint}: ${problem}${issuePath === null ? '' : ` at ${issuePath || '(root)'}`}`,
      context,
      { details: { problem, issuePath } },
    );
    this.issuePath = issuePath;
  }
}

/**
 * The tenant's API host is not a Duo API host; refused before any network call. The value is not
 * echoed: a secret pasted into the wrong field must not reach a message.
 */
export class DuoInvalidApiHostError extends AppError {
  constructor(host: unknown) {
    super(
      'DUO_INVALID_API_HOST',
      'The API host is not a Duo API host: expected api-xxxxxxxx.duosecurity.com or api-xxxxxxxx.duofederal.com ' +
        '(exactly as shown in the Duo Admin Panel, without scheme, port or path)',
      { details: { type: typeof host, length: typeof host === 'string' ? host.length : null } },
    );
  }
}

/** A log window Duo would reject or that would silently lose events: a programming error. */
export class DuoInvalidWindowError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('DUO_INVALID_WINDOW', message, { details });
  }
}

/** The grant an endpoint needs: logs "Grant read log", `/info/` "Grant read information", applications "Grant applications", objects "Grant read resource". */
export function permissionForEndpoint(endpoint: string): DuoPermission {
  if (/^\/admin\/v\d+\/logs\//.test(endpoint)) return 'Grant read log';
  if (/^\/admin\/v\d+\/info\//.test(endpoint)) return 'Grant read information';
  if (/^\/admin\/v\d+\/integrations(\/|$)/.test(endpoint)) return 'Grant applications';
  return 'Grant read resource';
}

/** Duo's `code`, which is usually an integer but may be a numeric string or missing. */
export function parseDuoCode(value: unknown): number | null {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value.trim())) return Number(value.trim());
  return null;
}

/** Duo's free-text fields, bounded and stripped of control characters before they reach a message. */
export function sanitizeDuoText(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 300);
}

function describeDuo(duoCode: number | null, duoMessage: string | undefined): string {
  const text = sanitizeDuoText(duoMessage);
  if (duoCode === null && !text) return '';
  return ` (${[duoCode ?? '', text].filter((part) => part !== '').join(' ')})`;
}

// The fields of a FAIL body we use, each tolerated when absent or of the wrong type.
const failFieldsSchema = z
  .object({
    code: z.unknown(),
    message: z.string().optional().catch(undefined),
    message_detail: z.string().optional().catch(undefined),
  })
  .catch({ code: undefined, message: undefined, message_detail: undefined });

/** Inputs of the one status + body → error mapping. */
export interface DuoFailureInput {
  status: number;
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
  endpoint: string;
  /** Delay to advise on 429, chosen by the caller's policy. */
  rateLimitRetryAfterMs: number;
}

/**
 * The one mapping from an HTTP status and Duo's FAIL body to a typed error. A 200 carrying
 * `stat: "FAIL"` is mapped by the first three digits of Duo's code, as Duo defines them.
 */
export function duoErrorFromResponse(input: DuoFailureInput): DuoError {
  const fields = failFieldsSchema.parse(input.body);
  const duoCode = parseDuoCode(fields.code);
  const { message, message_detail: messageDetail } = fields;
  let status = input.status;
  if (status >= 200 && status < 300) {
    if (duoCode === null || duoCode < 10000 || duoCode > 59999) {
      return new DuoMalformedResponseError({ status, duoCode, endpoint: input.endpoint }, 'stat FAIL without a usable code');
    }
    status = Math.floor(duoCode / 100);
  }
  const context: DuoErrorContext = { status: input.status, duoCode, endpoint: input.endpoint };
  if (status === 401) return new DuoCredentialsRejectedError(context, message);
  if (status === 403) return new DuoPermissionMissingError(context, message);
  if (status === 429) return new DuoRateLimitedError(context, input.rateLimitRetryAfterMs);
  if (status === 404) return new DuoNotFoundError(context, message);
  if (status >= 500) return new DuoServerError(context, message);
  if (status >= 300 && status < 400) {
    return new DuoServerError(context, undefined, { retryable: false, reason: `redirect ${status}, not followed` });
  }
  if (status >= 400) return new DuoBadRequestError(context, message, messageDetail);
  return new DuoMalformedResponseError(context, `unexpected HTTP status ${status}`);
}

/**
 * A schema mismatch as a DuoMalformedResponseError: the first issue's path and kind (e.g.
 * `expected string`), never the offending value.
 */
export function malformedFromZodError(context: DuoErrorContext, error: z.ZodError, pathPrefix: string): DuoMalformedResponseError {
  const issue = error.issues[0];
  if (!issue) return new DuoMalformedResponseError(context, 'schema mismatch', pathPrefix);
  const path = [pathPrefix, ...issue.path.map((part) => String(part))].filter((part) => part !== '').join('.');
  const kind = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.code.replaceAll('_', ' ');
  return new DuoMalformedResponseError(context, `schema mismatch (${kind})`, path);
}
