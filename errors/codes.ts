/**
 * Every stable error code of the service. A code is never renamed once shipped: it is the
 * ApplicationFailure `type` operators see in the Temporal UI, the `error.code` of HTTP answers
 * and the `code` field of log lines. Node-free so workflow code may import it.
 */
export const errorCodes = {
  // Duo Admin API
  DUO_CREDENTIALS_REJECTED: { retryable: false },
  DUO_PERMISSION_MISSING: { retryable: false },
  /** Duo refused keys that have been replaced since the attempt loaded them: the retry uses the new ones. */
  DUO_CREDENTIALS_ROTATED: { retryable: true },
  DUO_RATE_LIMITED: { retryable: true },
  DUO_BAD_REQUEST: { retryable: false },
  DUO_NOT_FOUND: { retryable: false },
  DUO_SERVER_ERROR: { retryable: true },
  DUO_NETWORK_ERROR: { retryable: true },
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
  INTEGRATION_NOT_CONNECTED: { retryable: false },
  /** A PUT names another Duo account (apiHost) than the one whose data the tenant holds. */
  DUO_ACCOUNT_CHANGED: { retryable: false },
  ENCRYPTION_KEY_MISMATCH: { retryable: false },
  SYNC_STALLED: { retryable: false },
  /** An incremental run failed for a reason without a code of its own. */
  SYNC_FAILED: { retryable: true },
  /** An incremental run that never reported (killed by its run timeout), closed by the next run. */
  RUN_TIMED_OUT: { retryable: true },
  /** An event of a month whose partition does not exist (yet): the retry creates it before writing. */
  EVENT_PARTITION_MISSING: { retryable: true },
} as const satisfies Record<string, { retryable: boolean }>;

export type ErrorCode = keyof typeof errorCodes;

/** Failure types a Temporal retry policy must not retry; derived so it cannot drift. */
export const nonRetryableErrorCodes: ErrorCode[] = (Object.keys(errorCodes) as ErrorCode[]).filter(
  (code) => !errorCodes[code].retryable,
);
