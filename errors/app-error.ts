import { errorCodes, type ErrorCode } from './codes.js';

export interface AppErrorOptions {
  /** Overrides the code's default retryability (rarely needed). */
  retryable?: boolean;
  /** A delay the caller should wait before retrying (Duo sends no Retry-After, so we choose it). */
  retryAfterMs?: number;
  /** Safe to log and to show: never secrets, signatures, Authorization headers or Duo bodies. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base of every error the service raises on purpose. `code` is stable (errors/codes.ts);
 * `message` and `details` are safe to show to operators and customers.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? errorCodes[code].retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }
}

export class ConfigError extends AppError {
  constructor(message: string, readonly variables: string[]) {
    super('CONFIG_INVALID', message, { details: { variables } });
  }
}

/**
 * The Duo account's shared request budget has no token before `retryAtMs`, and the caller asked not
 * to wait that long: pages already fetched are committed, and whoever called comes back then (the
 * initial sync sleeps on a durable timer instead of holding a worker slot while it waits).
 */
export class BudgetWaitRequired extends AppError {
  constructor(readonly retryAtMs: number) {
    super('DUO_BUDGET_WAIT', `The Duo account's request budget has no token before ${new Date(retryAtMs).toISOString()}`, {
      retryAfterMs: Math.max(0, retryAtMs - Date.now()),
      details: { retryAt: new Date(retryAtMs).toISOString() },
    });
  }
}
