import { pino, type Logger as PinoLogger } from 'pino';
import { ApplicationFailure, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/common';
import type { Config } from '../config/config.js';

/** Paths pino masks wherever they appear; secrets must never reach a log line. */
export const redactedPaths = [
  'secretKey',
  '*.secretKey',
  'secret_key',
  '*.secret_key',
  'skey',
  'webhook.secret',
  '*.webhook.secret',
  '*.skey',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
];

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, destination?: NodeJS.WritableStream): PinoLogger {
  return pino(
    { level: config.LOG_LEVEL, redact: { paths: redactedPaths, censor: '[redacted]' }, base: { service: 'duo-usage-sync' } },
    destination ?? process.stdout,
  );
}

const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

/**
 * Routes the Temporal SDK's own logs (workflow, activity and core) through our pino logger. A failure
 * the SDK logs (`Activity failed`) keeps its message and stack under `err`, and its type, which is our
 * stable error code (activities/failures.ts), becomes the line's `code`, as in the API's log lines.
 */
export function toTemporalLogger(logger: PinoLogger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => logger[levels[level]](withFailureCode(meta ?? {}), message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

function withFailureCode(meta: LogMetadata): LogMetadata {
  const { error, ...rest } = meta;
  if (!(error instanceof Error)) return meta;
  const code = error instanceof ApplicationFailure ? error.type : undefined;
  return { ...rest, err: error, ...(code ? { code } : {}) };
}
