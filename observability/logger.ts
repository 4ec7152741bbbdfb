import { pino, type Logger as PinoLogger } from 'pino';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Config } from '../config/config.js';

/** Paths pino masks wherever they appear; secrets must never reach a log line. */
export const redactedPaths = [
  'secretKey',
  '*.secretKey',
  'secret_key',
  '*.secret_key',
  'skey',
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

/** Routes the Temporal SDK's own logs (workflow, activity and core) through our pino logger. */
export function toTemporalLogger(logger: PinoLogger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) => logger[levels[level]](meta ?? {}, message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
