/**
 * Every stable error code of the service, in its one canonical spelling. A code is never renamed once
 * shipped: it is the ApplicationFailure `type` operators see in the Temporal UI and the `code` field of
 * log lines; the `error.code` of HTTP answers is its lower-case form, derived in api/http-errors.ts only.
 * Node-free so workflow code may import it.
 */
export const errorCodes = {
  // Duo Admin API
  DUO_CREDENTIALS_REJECTED: { retryable: false },
  DUO_PERMISSION_MISSING: { retryable: false },
  /** Duo refused keys that have been replaced since the attempt loaded them: the retry uses the new ones. */
  DUO_CREDENTIALS_ROTATED: { retryable: true },
  DUO_RATE_LIMITED: { retryable: true },
  /** The account's shared budget has no token for a while: the caller stops and comes back at `retryAtMs`. */
  DUO_BUDGET_WAIT: { retryable: true },
  DUO_BAD_REQUEST: { retryable: false },
  DUO_NOT_FOUND: { retryable: false },
  DUO_SERVER_ERROR: { retryable: true },
  DUO_NETWORK_ERROR: { retryable: true },
  /** The certificate check failed (untrusted, wrong name, expired): configuration or interception, not transient. */
  DUO_TLS_ERROR: { retryable: false },
  DUO_MALFORMED_RESPONSE: { retryable: true },
  DUO_INVALID_API_HOST: { retryable: false },
  DUO_INVALID_WINDOW: { retryable: false },
  /** The connect-time check could not reach Duo or Duo failed (5xx, network, garbage). */
  DUO_UNREACHABLE: { retryable: true },
  // Service
  TEMPORAL_UNAVAILABLE: { retryable: true },
  CONFIG_INVALID: { retryable: false },
  VALIDATION_FAILED: { retryable: false },
  TENANT_NOT_FOUND: { retryable: false },
  /** A user id the tenant's synced data does not hold. */
  USER_NOT_FOUND: { retryable: false },
  INTEGRATION_NOT_CONNECTED: { retryable: false },
  /** A lifecycle step found the integration in a state it does not apply to (integrations/transitions.ts). */
  INTEGRATION_TRANSITION_REFUSED: { retryable: false },
  /** The tenant's data is being purged: nothing but reading its status applies until the purge is done. */
  TENANT_PURGING: { retryable: false },
  /** A PUT names another Duo account (apiHost) than the one whose data the tenant holds. */
  DUO_ACCOUNT_CHANGED: { retryable: false },
  ENCRYPTION_KEY_MISMATCH: { retryable: false },
  SYNC_STALLED: { retryable: false },
  /** The tenant is paused: no Duo request starts; activities stop at the page boundary and say so. */
  SYNC_PAUSED: { retryable: false },
  /** An initial-sync retry asked of a tenant whose initial sync has not failed. */
  INITIAL_SYNC_NOT_FAILED: { retryable: false },
  /** An incremental run failed for a reason without a code of its own. */
  SYNC_FAILED: { retryable: true },
  /** An incremental run that never reported (killed by its run timeout), closed by the next run. */
  RUN_TIMED_OUT: { retryable: true },
  /** An event of a month whose partition does not exist (yet): the retry creates it before writing. */
  EVENT_PARTITION_MISSING: { retryable: true },
} as const satisfies Record<string, { retryable: boolean }>;

export type ErrorCode = keyof typeof errorCodes;

/**
 * Refusals the HTTP API answers before any code of ours runs (the token check, Fastify's own request
 * errors, an unknown route, a 500 hiding its cause). Never thrown as AppError, never a Temporal failure.
 */
export const requestErrorCodes = [
  'UNAUTHORIZED',
  /** A valid key without the scope the route needs. */
  'FORBIDDEN',
  /** The key (or, before authentication, the client address) sent more requests than API_RATE_LIMIT_PER_MINUTE. */
  'RATE_LIMITED',
  /** The key already streams API_CSV_EXPORTS_PER_KEY CSV exports. */
  'TOO_MANY_EXPORTS',
  'MALFORMED_JSON',
  'BAD_REQUEST',
  'NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'URI_TOO_LONG',
  'INTERNAL_ERROR',
] as const;

export type RequestErrorCode = (typeof requestErrorCodes)[number];

/** Failure types a Temporal retry policy must not retry; derived so it cannot drift. */
export const nonRetryableErrorCodes: ErrorCode[] = (Object.keys(errorCodes) as ErrorCode[]).filter(
  (code) => !errorCodes[code].retryable,
);
