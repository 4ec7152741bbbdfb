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
